import type { Locality } from '../discovery';
import { serveCalls } from './ipc';
import { FactsCache } from './resource-facts';
import { SimulatedProxy, wallClockMs, type ProxyTarget, type XdsVariant } from './simulated-proxy';

/** One proxy the worker is asked to simulate. */
export interface ProxySpec {
  nodeId: string;
  locality: Locality;
}

export interface StartArgs {
  address: string;
  variant: XdsVariant;
  proxies: ProxySpec[];
  /** Spread the connections evenly over this many milliseconds; 0 connects them all at once. */
  rampMs: number;
}

export interface WaitResult {
  /** Wall-clock time at which each proxy reached the awaited state, for those that did. */
  times: number[];
  /** Proxies that did not reach it before the timeout. */
  missing: number;
}

/** Latencies from each change to each proxy's ACK of it, as a histogram with 1 ms buckets. */
export interface LatencyReport {
  /** [milliseconds, count] pairs, in increasing order. */
  histogram: [number, number][];
  /** For each change sequence, the latest ACK of it among this worker's proxies. */
  lastAckBySeq: Record<number, number>;
  /** The lowest change marker any proxy holds. */
  lowestMarker: number;
}

const HISTOGRAM_LIMIT_MS = 120_000;
const POLL_MS = 20;

const facts = new FactsCache();
let proxies: SimulatedProxy[] = [];

// Change-to-ACK tracking for scenarios with a stream of changes.
let trackFrom = Number.POSITIVE_INFINITY;
const changeTimes = new Map<number, number>();
const pendingAcks: { from: number; to: number; at: number }[] = [];
let histogram = new Uint32Array(HISTOGRAM_LIMIT_MS + 1);
const lastAckBySeq = new Map<number, number>();

/** Records the ACK of changes `from + 1` to `to`; returns false, recording nothing, while one is not yet announced. */
function recordAck(from: number, to: number, at: number): boolean {
  const first = Math.max(from + 1, trackFrom + 1);
  for (let seq = first; seq <= to; seq++) {
    if (!changeTimes.has(seq)) return false;
  }
  for (let seq = first; seq <= to; seq++) {
    const latency = Math.min(HISTOGRAM_LIMIT_MS, Math.max(0, Math.round(at - changeTimes.get(seq)!)));
    histogram[latency]!++;
    lastAckBySeq.set(seq, Math.max(lastAckBySeq.get(seq) ?? 0, at));
  }
  return true;
}

function onMarker(previous: number, marker: number, at: number): void {
  if (marker <= trackFrom) return;
  // An ACK can overtake the parent's notice of the change it carries; keep it until the notice.
  if (!recordAck(previous, marker, at)) pendingAcks.push({ from: previous, to: marker, at });
}

function waitFor(done: (proxy: SimulatedProxy) => number | undefined, timeoutMs: number): Promise<WaitResult> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const poll = (): void => {
      const times = proxies.map(done).filter((time): time is number => time !== undefined);
      if (times.length === proxies.length || Date.now() >= deadline) {
        resolve({ times, missing: proxies.length - times.length });
        return;
      }
      setTimeout(poll, POLL_MS);
    };
    poll();
  });
}

serveCalls({
  start: async (args: StartArgs) => {
    const startAt = Date.now();
    for (const [index, spec] of args.proxies.entries()) {
      const dueAt = startAt + (args.proxies.length > 1 ? (args.rampMs * index) / (args.proxies.length - 1) : 0);
      const wait = dueAt - Date.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const proxy = new SimulatedProxy({ address: args.address, variant: args.variant, ...spec, facts, onMarker });
      proxies.push(proxy);
      proxy.start();
    }
    return { started: proxies.length };
  },

  waitSynced: (args: { timeoutMs: number }) => waitFor((proxy) => proxy.syncedAt, args.timeoutMs),

  connectTimes: () => proxies.map((proxy) => proxy.connectedAt ?? 0),

  setTarget: (args: { target: ProxyTarget }) => {
    for (const proxy of proxies) proxy.setTarget(args.target);
    return { at: wallClockMs() };
  },

  waitTarget: (args: { timeoutMs: number }) => waitFor((proxy) => proxy.reachedTargetAt, args.timeoutMs),

  trackChanges: (args: { after: number }) => {
    trackFrom = args.after;
    changeTimes.clear();
    pendingAcks.length = 0;
    histogram = new Uint32Array(HISTOGRAM_LIMIT_MS + 1);
    lastAckBySeq.clear();
  },

  changed: (args: { seq: number; at: number }) => {
    changeTimes.set(args.seq, args.at);
    for (let i = pendingAcks.length - 1; i >= 0; i--) {
      const pending = pendingAcks[i]!;
      if (recordAck(pending.from, pending.to, pending.at)) pendingAcks.splice(i, 1);
    }
  },

  latency: (): LatencyReport => {
    const pairs: [number, number][] = [];
    histogram.forEach((count, ms) => {
      if (count > 0) pairs.push([ms, count]);
    });
    return {
      histogram: pairs,
      lastAckBySeq: Object.fromEntries(lastAckBySeq),
      lowestMarker: Math.min(...proxies.map((proxy) => proxy.endpointMarker())),
    };
  },

  counters: () => {
    const total = {
      proxies: proxies.length,
      responses: 0,
      responseBytes: 0,
      acks: 0,
      reconnects: 0,
      endStatuses: {} as Record<string, number>,
      bytesByType: {} as Record<string, number>,
    };
    for (const proxy of proxies) {
      total.responses += proxy.counters.responses;
      total.responseBytes += proxy.counters.responseBytes;
      total.acks += proxy.counters.acks;
      total.reconnects += proxy.counters.reconnects;
      if (proxy.endStatus) {
        const status = `${proxy.endStatus.code} ${proxy.endStatus.details}`;
        total.endStatuses[status] = (total.endStatuses[status] ?? 0) + 1;
      }
      for (const [typeUrl, bytes] of Object.entries(proxy.counters.bytesByType)) {
        total.bytesByType[typeUrl] = (total.bytesByType[typeUrl] ?? 0) + bytes;
      }
    }
    return total;
  },

  close: () => {
    for (const proxy of proxies) proxy.close();
    proxies = [];
  },
});
