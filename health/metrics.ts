import { Counter, Gauge, type Registry } from 'prom-client';
import type { HealthState } from './aggregator';
import type { LatencyEntry } from './latency';

/** Input of the gauges: the aggregator's state, the number of connected probers and the latency matrix. */
export interface HealthMetricsSource {
  state: HealthState;
  probers: number;
  latency: readonly LatencyEntry[];
}

/**
 * Prometheus metrics of the prober mesh, on an injected registry. Labels are bounded: decision
 * states and the localities (`region/zone`) of probers, never a node id or an endpoint address.
 * With a `source`, every scrape reads the gauges from it, so they never lag behind the admin API.
 */
export class HealthMetrics {
  private readonly probers: Gauge;
  private readonly endpoints: Gauge;
  private readonly partitions: Gauge;
  private readonly held: Gauge;
  private readonly changes: Counter;
  private readonly rtt: Gauge;

  constructor(registry: Registry, source?: () => HealthMetricsSource) {
    const registers = [registry];
    // Each gauge's collect runs on a scrape, before the registry reads that gauge.
    const collect = source === undefined ? undefined : () => this.observeSource(source());
    this.probers = new Gauge({ name: 'meridian_health_probers', help: 'Probers connected over HDS.', registers, collect });
    this.endpoints = new Gauge({ name: 'meridian_health_endpoints', help: 'Checked endpoints by decided health.', labelNames: ['health'], registers, collect });
    this.partitions = new Gauge({ name: 'meridian_health_partitions', help: 'Prober and locality pairs reported as partitioned.', registers, collect });
    this.held = new Gauge({ name: 'meridian_health_held_changes', help: 'Ejections held because one prober would have ejected too many endpoints.', registers, collect });
    this.changes = new Counter({ name: 'meridian_health_changes_total', help: 'Changes of decided endpoint health.', labelNames: ['health'], registers });
    this.rtt = new Gauge({
      name: 'meridian_health_locality_rtt_seconds',
      help: 'Moving average of the round-trip time between probers of two localities (region/zone).',
      labelNames: ['from', 'to'],
      registers,
      collect,
    });
  }

  /** Sets the gauges from the aggregator's state and the latency matrix. */
  observe(state: HealthState, probers: number, latency: readonly LatencyEntry[]): void {
    this.probers.set(probers);
    const healthy = state.endpoints.filter((endpoint) => endpoint.healthy).length;
    this.endpoints.set({ health: 'healthy' }, healthy);
    this.endpoints.set({ health: 'unhealthy' }, state.endpoints.length - healthy);
    this.partitions.set(state.partitions.length);
    this.held.set(state.held.length);
    this.rtt.reset();
    for (const entry of latency) this.rtt.set({ from: entry.from, to: entry.to }, entry.rttMs / 1000);
  }

  private observeSource(source: HealthMetricsSource): void {
    this.observe(source.state, source.probers, source.latency);
  }

  /** Counts decided changes. */
  countChange(healthy: boolean): void {
    this.changes.inc({ health: healthy ? 'healthy' : 'unhealthy' });
  }
}
