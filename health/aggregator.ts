import type { Logger } from 'pino';
import type { Locality } from '../discovery';
import type { HealthCheckPolicy } from '../policy';
import { withSpan } from '../telemetry';
import type { HealthTarget } from './assignment';
import { applyHoldDown } from './damping';
import {
  endpointKeyOf,
  hostPortOf,
  type DampedChange,
  type EndpointDecision,
  type EndpointVotes,
  type HeldChange,
  type Partition,
  type ProbeStatus,
  type ProberVote,
} from './model';
import { decideHealth } from './quorum';

/** One prober's settled result for one endpoint, as reported over HDS. */
export interface EndpointReport {
  service: string;
  address: string;
  port: number;
  status: ProbeStatus;
}

export interface HealthAggregatorOptions {
  logger: Logger;
  /** Maximum share of a service's endpoints that one prober may eject at once, from 0 to 1. Default 0.5. */
  maxEjectShare?: number;
  /** Time after a prober's last report when its votes lapse, in milliseconds. Default 15000. */
  silenceMs?: number;
  /** How often probers send their results, in milliseconds; it sets the wave window. Default 1000. */
  reportIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The decided health of one endpoint, for the admin API. */
export interface EndpointHealthView {
  service: string;
  endpoint: string;
  healthy: boolean;
  /** ISO time of the last change; undefined when it never changed. */
  changedAt?: string;
  votes: { prober: string; locality: string; status: ProbeStatus }[];
}

/** Everything the aggregator decided, for the admin API. */
export interface HealthState {
  endpoints: EndpointHealthView[];
  partitions: Partition[];
  held: HeldChange[];
  damped: DampedChange[];
}

/**
 * Returns the wave window of a service, in milliseconds: how long an ejection counts toward the
 * share of the blast-radius guard. When a prober's path to many endpoints breaks at one moment,
 * each of its check loops gets the first failure within one `interval` plus `jitter`, and then
 * crosses `unhealthyThreshold` after further intervals that differ by up to `jitter` each. The
 * window covers that spread, one `timeout` for checks that time out while others fail at once,
 * and two report intervals for the reports that carry the results.
 */
export function waveWindowMs(check: HealthCheckPolicy, reportIntervalMs: number): number {
  return check.intervalMs + check.unhealthyThreshold * check.jitterMs + check.timeoutMs + 2 * reportIntervalMs;
}

interface ProberState {
  locality: Locality;
  lastReportAt: number;
  votes: Map<string, ProbeStatus>;
}

/**
 * Collects the probers' results and turns them into endpoint health by the quorum rules of
 * `decideHealth`, then hold-down. Listeners hear about every change of a decision.
 */
export class HealthAggregator {
  private readonly probers = new Map<string, ProberState>();
  private targets: readonly HealthTarget[] = [];
  private checkByService = new Map<string, HealthCheckPolicy>();
  private decisions = new Map<string, EndpointDecision>();
  private partitions: Partition[] = [];
  private held: HeldChange[] = [];
  private damped: DampedChange[] = [];
  private readonly listeners = new Set<(changed: readonly string[]) => void>();
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: HealthAggregatorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Sets the services and endpoints under check; endpoints no longer listed are forgotten. */
  setTargets(targets: readonly HealthTarget[]): void {
    this.targets = targets;
    this.checkByService = new Map(targets.map((target) => [target.service, target.check]));
    this.evaluate();
  }

  /** Replaces a prober's results with a new report. */
  recordReport(prober: string, locality: Locality, reports: readonly EndpointReport[]): void {
    const votes = new Map<string, ProbeStatus>();
    for (const report of reports) votes.set(endpointKeyOf(report.service, report.address, report.port), report.status);
    this.probers.set(prober, { locality, lastReportAt: this.now(), votes });
    this.evaluate();
  }

  /** Drops a prober's votes, for example when its stream ends. Its silence is no failure. */
  removeProber(prober: string): void {
    if (this.probers.delete(prober)) this.evaluate();
  }

  /** The decided health of an endpoint; undefined when it is not under check. */
  isHealthy(service: string, address: string, port: number): boolean | undefined {
    return this.decisions.get(endpointKeyOf(service, address, port))?.healthy;
  }

  /** The decision of an endpoint by `endpointKeyOf`; undefined when it is not under check. */
  decisionOf(key: string): EndpointDecision | undefined {
    return this.decisions.get(key);
  }

  /** Registers a listener for changed decisions. Returns a function that removes it. */
  onChange(listener: (changed: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-runs the rules now: votes lapse, and held-down changes become due. */
  evaluate(): void {
    const now = this.now();
    const silenceMs = this.options.silenceMs ?? 15_000;
    const votesByKey = new Map<string, ProberVote[]>();
    for (const [id, state] of this.probers) {
      if (now - state.lastReportAt > silenceMs) continue;
      for (const [key, status] of state.votes) {
        const list = votesByKey.get(key) ?? [];
        list.push({ prober: id, locality: state.locality, status });
        votesByKey.set(key, list);
      }
    }

    const endpoints: EndpointVotes[] = [];
    for (const target of this.targets) {
      for (const endpoint of target.endpoints) {
        const key = endpointKeyOf(target.service, endpoint.address, endpoint.port);
        endpoints.push({ service: target.service, ...endpoint, votes: votesByKey.get(key) ?? [] });
      }
    }

    const previous = new Map([...this.decisions].map(([key, decision]) => [key, decision.healthy]));
    const quorum = decideHealth(endpoints, previous, { maxEjectShare: this.options.maxEjectShare, recentEjections: this.recentEjections(now) });
    const holdDown = applyHoldDown(
      quorum.desired,
      this.decisions,
      now,
      (key) => this.checkByService.get(serviceOf(key))?.holdDownMs ?? 0,
      new Set(quorum.restored),
    );

    this.logTransitions(quorum.partitions, quorum.held);
    this.decisions = holdDown.decisions;
    this.partitions = quorum.partitions;
    this.held = quorum.held;
    this.damped = holdDown.damped;
    this.scheduleDamped(now);

    if (holdDown.changed.length > 0) {
      for (const key of holdDown.changed) {
        this.options.logger.info({ endpoint: key, healthy: this.decisions.get(key)!.healthy }, 'endpoint health changed');
      }
      const ejected = holdDown.changed.filter((key) => this.decisions.get(key)?.healthy === false);
      const attributes = { 'meridian.health.changed_endpoints': holdDown.changed, 'meridian.health.ejected_endpoints': ejected };
      withSpan('meridian.health.update', attributes, () => {
        for (const listener of this.listeners) listener(holdDown.changed);
      });
    }
  }

  /** Decisions, partitions, held and damped changes, for the admin API. */
  state(): HealthState {
    const votes = new Map<string, EndpointHealthView['votes']>();
    for (const [id, prober] of this.probers) {
      for (const [key, status] of prober.votes) {
        const list = votes.get(key) ?? [];
        list.push({ prober: id, locality: `${prober.locality.region}/${prober.locality.zone}`, status });
        votes.set(key, list);
      }
    }
    const endpoints: EndpointHealthView[] = [];
    for (const target of this.targets) {
      for (const endpoint of target.endpoints) {
        const key = endpointKeyOf(target.service, endpoint.address, endpoint.port);
        const decision = this.decisions.get(key) ?? { healthy: true, changedAt: 0 };
        endpoints.push({
          service: target.service,
          endpoint: hostPortOf(endpoint.address, endpoint.port),
          healthy: decision.healthy,
          changedAt: decision.changedAt === 0 ? undefined : new Date(decision.changedAt).toISOString(),
          votes: votes.get(key) ?? [],
        });
      }
    }
    return { endpoints, partitions: [...this.partitions], held: [...this.held], damped: [...this.damped] };
  }

  close(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  /** Endpoints that turned unhealthy within their service's wave window. */
  private recentEjections(now: number): Set<string> {
    const reportIntervalMs = this.options.reportIntervalMs ?? 1000;
    const recent = new Set<string>();
    for (const [key, decision] of this.decisions) {
      const check = this.checkByService.get(serviceOf(key));
      if (decision.healthy || check === undefined) continue;
      if (now - decision.changedAt <= waveWindowMs(check, reportIntervalMs)) recent.add(key);
    }
    return recent;
  }

  /** Evaluates again when the earliest held-down change is due. */
  private scheduleDamped(now: number): void {
    clearTimeout(this.timer);
    if (this.damped.length === 0) return;
    const due = Math.min(...this.damped.map((change) => change.notBefore));
    this.timer = setTimeout(() => this.evaluate(), Math.max(0, due - now));
    this.timer.unref();
  }

  private logTransitions(partitions: readonly Partition[], held: readonly HeldChange[]): void {
    const known = new Set(this.partitions.map((partition) => JSON.stringify(partition)));
    for (const partition of partitions) {
      if (!known.has(JSON.stringify(partition))) this.options.logger.warn(partition, 'partition detected');
    }
    const knownHeld = new Set(this.held.map((change) => `${change.service}|${change.prober}`));
    for (const change of held) {
      if (!knownHeld.has(`${change.service}|${change.prober}`)) this.options.logger.warn(change, 'ejections held');
    }
  }
}

/** Returns the service of a key made by `endpointKeyOf`. */
function serviceOf(key: string): string {
  return key.slice(0, key.lastIndexOf('|'));
}
