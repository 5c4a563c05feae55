import type { Locality } from '../discovery';
import { zoneKeyOf } from './model';

/** Weight of a new sample in the moving average of a locality pair. */
const SMOOTHING = 0.3;

/**
 * How much nearer a region must be before it moves ahead of another in a failover order: its
 * round-trip time must be below the other's by this share and by `HYSTERESIS_MIN_MS`.
 */
export const HYSTERESIS_RATIO = 0.2;
export const HYSTERESIS_MIN_MS = 1;

/** One measured pair of localities (`region/zone`). */
export interface LatencyEntry {
  from: string;
  to: string;
  /** Moving average of the round-trip times, in milliseconds. */
  rttMs: number;
  samples: number;
}

/**
 * Round-trip times between the localities of probers, and per client region a failover order of
 * the other regions, nearest first. An order changes only when a region becomes nearer than the
 * one ahead of it by the hysteresis margin, so small swings of latency do not reorder priorities.
 */
export class LatencyMatrix {
  private readonly pairs = new Map<string, LatencyEntry>();
  private readonly orders = new Map<string, string[]>();
  private readonly listeners = new Set<() => void>();

  /** Records one round-trip time from a prober in `from` to a prober in `to`. */
  record(from: Locality, to: Locality, rttMs: number): void {
    const fromKey = zoneKeyOf(from);
    const toKey = zoneKeyOf(to);
    const key = `${fromKey}>${toKey}`;
    const entry = this.pairs.get(key);
    if (entry === undefined) {
      this.pairs.set(key, { from: fromKey, to: toKey, rttMs, samples: 1 });
    } else {
      entry.rttMs += SMOOTHING * (rttMs - entry.rttMs);
      entry.samples++;
    }
    if (this.updateOrder(from.region)) {
      for (const listener of this.listeners) listener();
    }
  }

  /** Every measured pair, sorted by `from` then `to`. */
  entries(): LatencyEntry[] {
    return [...this.pairs.values()].map((entry) => ({ ...entry })).sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to));
  }

  /** Mean round-trip time between two regions over their measured zone pairs, in milliseconds. */
  regionRttMs(from: string, to: string): number | undefined {
    const values = [...this.pairs.values()]
      .filter((entry) => entry.from.split('/')[0] === from && entry.to.split('/')[0] === to)
      .map((entry) => entry.rttMs);
    if (values.length === 0) return undefined;
    return values.reduce((sum, value) => sum + value, 0) / values.length;
  }

  /** Measured regions other than `from`, nearest first (with hysteresis); empty when none is measured. */
  regionOrder(from: string): readonly string[] {
    return this.orders.get(from) ?? [];
  }

  /** Registers a listener called when a region order changes. Returns a function that removes it. */
  onOrderChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Recomputes the order of one client region; returns true when it changed. */
  private updateOrder(from: string): boolean {
    const measured = new Map<string, number>();
    for (const entry of this.pairs.values()) {
      const [fromRegion] = entry.from.split('/');
      const [toRegion] = entry.to.split('/');
      if (fromRegion !== from || toRegion === from || measured.has(toRegion)) continue;
      measured.set(toRegion, this.regionRttMs(from, toRegion)!);
    }

    const previous = this.orders.get(from) ?? [];
    // Keep the previous order, append newly measured regions, then let a region pass the one
    // ahead of it only when it is nearer by the hysteresis margin.
    const order = previous.filter((region) => measured.has(region));
    for (const region of [...measured.keys()].sort((a, b) => measured.get(a)! - measured.get(b)! || compare(a, b))) {
      if (!order.includes(region)) order.push(region);
    }
    for (let pass = 0; pass < order.length; pass++) {
      for (let i = 0; i + 1 < order.length; i++) {
        const ahead = measured.get(order[i])!;
        const behind = measured.get(order[i + 1])!;
        if (ahead - behind > Math.max(HYSTERESIS_MIN_MS, HYSTERESIS_RATIO * ahead)) {
          [order[i], order[i + 1]] = [order[i + 1], order[i]];
        }
      }
    }
    this.orders.set(from, order);
    return order.length !== previous.length || order.some((region, index) => previous[index] !== region);
  }
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
