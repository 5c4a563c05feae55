import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { RegistrySnapshot } from '../discovery';
import { HdsServer, HealthAggregator, HealthMetrics, LatencyMatrix, type HealthState, type HealthTarget, type LatencyEntry, type ProberInfo } from '../health';
import { clusterNameOf, type HealthInput, type PolicySet } from '../policy';
import type { HealthView, PolicyView, RegistryView } from './controller';

export interface HealthMeshOptions {
  registry: RegistryView;
  policies: PolicyView;
  logger: Logger;
  metrics: MetricsRegistry;
  /** How often probers send results, in milliseconds. Default 1000. */
  reportIntervalMs?: number;
  /** Maximum share of a service's endpoints one prober may eject at once. Default 0.5. */
  maxEjectShare?: number;
  /** Time without a report after which a prober's votes lapse, in milliseconds. Default five report intervals. */
  silenceMs?: number;
  /** Probers outside an endpoint's own zone that check it. Default 1. */
  remoteProbers?: number;
}

/** Prober mesh state shown by the admin API. */
export interface HealthSummary extends HealthState {
  probers: ProberInfo[];
  latency: LatencyEntry[];
}

/** The prober mesh of a running control plane: HDS server, aggregator, latency matrix and metrics. */
export interface HealthMesh {
  hds: HdsServer;
  aggregator: HealthAggregator;
  latency: LatencyMatrix;
  /** Decisions and latency order changes, for the controller. */
  view: HealthView;
  /** Decided health and measured region order, for the policy engine. */
  input: HealthInput;
  summary(): HealthSummary;
  close(): void;
}

/** Builds the health targets: every service with a policy that sets `healthCheck`. */
export function healthTargetsOf(registry: RegistrySnapshot, policies: PolicySet): HealthTarget[] {
  const targets: HealthTarget[] = [];
  for (const policy of policies.policies) {
    const service = registry.services.get(policy.service);
    if (policy.healthCheck === undefined || service === undefined) continue;
    targets.push({
      service: service.name,
      clusterName: clusterNameOf(service),
      check: policy.healthCheck,
      endpoints: service.endpoints.map((endpoint) => ({
        address: endpoint.address,
        port: endpoint.port,
        locality: endpoint.locality ?? { region: '', zone: '', subZone: '' },
      })),
    });
  }
  return targets;
}

/** Creates the prober mesh and keeps its targets in step with the registry and the policies. */
export function createHealthMesh(options: HealthMeshOptions): HealthMesh {
  const log = options.logger;
  const silenceMs = options.silenceMs ?? 5 * (options.reportIntervalMs ?? 1000);
  const aggregator = new HealthAggregator({ logger: log, maxEjectShare: options.maxEjectShare, silenceMs, reportIntervalMs: options.reportIntervalMs });
  const latency = new LatencyMatrix();
  const hds = new HdsServer({ aggregator, latency, logger: log, reportIntervalMs: options.reportIntervalMs, remoteProbers: options.remoteProbers });
  const summary = (): HealthSummary => ({ ...aggregator.state(), probers: hds.probers(), latency: latency.entries() });
  const metrics = new HealthMetrics(options.metrics, () => {
    const state = summary();
    return { state, probers: state.probers.length, latency: state.latency };
  });
  const updateTargets = (): void => {
    if (!options.registry.synced()) return;
    hds.setTargets(healthTargetsOf(options.registry.snapshot(), options.policies.current()));
  };

  const unsubscribe = [
    options.registry.onChange(updateTargets),
    options.policies.onChange(updateTargets),
    aggregator.onChange((changed) => {
      for (const key of changed) metrics.countChange(aggregator.decisionOf(key)?.healthy !== false);
    }),
  ];
  updateTargets();

  return {
    hds,
    aggregator,
    latency,
    view: {
      onChange: (listener) => {
        const removeDecisions = aggregator.onChange(() => listener());
        const removeOrder = latency.onOrderChange(listener);
        return () => {
          removeDecisions();
          removeOrder();
        };
      },
    },
    input: {
      endpointHealth: (service, address, port) => aggregator.isHealthy(service, address, port),
      regionOrder: (region) => latency.regionOrder(region),
    },
    summary,
    close: () => {
      for (const remove of unsubscribe) remove();
      hds.close();
      aggregator.close();
    },
  };
}
