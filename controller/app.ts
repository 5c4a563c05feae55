import type { Logger } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import {
  buildAdminServer,
  closeAdminServer,
  listenAdminServer,
  parseListenAddress,
  readinessOf,
  SyncStatusTracker,
  XdsMetrics,
} from '../admin';
import { Registry, StaticSource, type DiscoverySource } from '../discovery';
import { buildResources, checkConsistency, createConfigKinds, PolicyStore, type HealthInput } from '../policy';
import { PolicyHistory, RevisionStore } from '../store';
import { SnapshotCache, XdsServer, type TypeUrl } from '../xds';
import { MeshController, type ResourceBuilder } from './controller';
import { groupKeyOf } from './groups';
import { createHealthMesh, type HealthMesh } from './health-mesh';
import { createPolicyWorkflow } from './policy-workflow';

export interface MeridianOptions {
  /** YAML files or folders with ServiceEndpoints and TrafficPolicy documents. */
  configPaths: readonly string[];
  /** `HOST:PORT` of the xDS gRPC server; port 0 picks a free port. */
  xdsAddress: string;
  /** `HOST:PORT` of the admin HTTP server; port 0 picks a free port. */
  adminAddress: string;
  logger: Logger;
  /** Quiet period after a change before proxies are updated, in milliseconds. Default 100. */
  debounceMs?: number;
  /**
   * Further discovery sources, ranked before the static files: a service that one of them defines
   * replaces the service of that name in the files. Default none.
   */
  discoverySources?: readonly DiscoverySource[];
  /**
   * Folder for state that survives a restart: the policy revisions. Default: none, and the
   * revisions live in memory until the process ends.
   */
  stateDir?: string;
  /** How often HDS probers send their results, in milliseconds. Default 1000. */
  healthReportIntervalMs?: number;
}

/** A started control plane. */
export interface RunningMeridian {
  xdsPort: number;
  adminPort: number;
  registry: Registry;
  policies: PolicyStore;
  /** The policy revisions: applies, rollbacks and folder edits. */
  history: PolicyHistory;
  controller: MeshController;
  /** The health prober mesh, served over HDS on the xDS port. */
  health: HealthMesh;
  /** Stops serving and watching, then releases the ports. */
  close(): Promise<void>;
}

/** Returns a builder that computes resources with the policy engine and checks them for dangling references. */
const buildWithPolicyEngine = (health?: HealthInput): ResourceBuilder => (registry, policySet, profile) => {
  const generated = buildResources(registry, policySet.policies, profile, health);
  const resources = new Map(Object.entries(generated.byTypeUrl) as [TypeUrl, (typeof generated.byTypeUrl)[TypeUrl]][]);
  const problems = checkConsistency(generated).map((problem) => JSON.stringify(problem));
  return { resources, problems };
};

/**
 * Starts a control plane: the static discovery source and the policy store on the config paths,
 * the controller, the xDS server and the admin server. Proxies that connect before discovery has
 * synced wait for it; they are never sent a partial configuration.
 */
export async function startMeridian(options: MeridianOptions): Promise<RunningMeridian> {
  const log = options.logger;
  const paths = [...options.configPaths];
  if (paths.length === 0) throw new Error('no configuration path given; pass --config PATH with a YAML file or folder');
  // Parse both addresses before anything starts, so a typo fails fast with a clear message.
  const adminAddress = parseListenAddress(options.adminAddress);
  parseListenAddress(options.xdsAddress);

  const kinds = createConfigKinds();
  const source = new StaticSource({ paths, logger: log, kinds, name: 'static', debounceMs: options.debounceMs });
  const registry = new Registry([...(options.discoverySources ?? []), source], { logger: log });
  const policies = new PolicyStore({ logger: log, kinds, debounceMs: options.debounceMs });
  const revisions = await RevisionStore.open(options.stateDir);
  const history = new PolicyHistory({ policies, revisions, configPaths: paths, logger: log, debounceMs: options.debounceMs });

  const metricsRegistry = new MetricsRegistry();
  const metrics = new XdsMetrics({ registry: metricsRegistry });
  const syncStatus = new SyncStatusTracker();
  const cache = new SnapshotCache(groupKeyOf);
  const xds = new XdsServer({ cache, logger: log.child({ component: 'xds' }), hooks: [metrics, syncStatus] });
  const health = createHealthMesh({
    registry,
    policies,
    logger: log.child({ component: 'health' }),
    metrics: metricsRegistry,
    reportIntervalMs: options.healthReportIntervalMs,
  });
  const hdsService = health.hds.service();
  xds.addService(hdsService.definition, hdsService.implementation);
  const controller = new MeshController({
    registry,
    policies,
    health: health.view,
    cache,
    build: buildWithPolicyEngine(health.input),
    logger: log.child({ component: 'controller' }),
    debounceMs: options.debounceMs,
  });
  registry.onChange(() => metrics.observeRegistry(registry.snapshot()));

  const admin = buildAdminServer({
    readiness: () => {
      const readiness = readinessOf([{ name: source.name, synced: source.synced }]);
      if (readiness.ready && !policies.synced) {
        return { ...readiness, ready: false, reason: 'waiting for a valid set of traffic policies' };
      }
      return readiness;
    },
    syncStatus,
    configSummary: () => summarize(registry, policies),
    registry: metricsRegistry,
    logger: log,
    policyWorkflow: createPolicyWorkflow({ history, policies, registry, cache }),
    health,
  });

  controller.start();
  await registry.start();
  await history.start();
  metrics.observeRegistry(registry.snapshot());
  controller.recomputeAll();

  const xdsPort = await xds.listen(options.xdsAddress);
  let adminPort: number;
  try {
    adminPort = (await listenAdminServer(admin, adminAddress)).port;
  } catch (error) {
    await xds.close(0);
    throw error;
  }

  const summary = summarize(registry, policies);
  log.info(
    { xdsAddress: options.xdsAddress, xdsPort, adminAddress: options.adminAddress, adminPort, ...summary },
    'meridian serving',
  );
  if (!registry.synced()) {
    log.warn({ errors: source.lastErrors().length }, 'discovery has not synced; proxies wait until the configuration is valid');
  }

  return {
    xdsPort,
    adminPort,
    registry,
    policies,
    history,
    controller,
    health,
    close: async () => {
      controller.stop();
      health.close();
      await Promise.all([xds.close(500), closeAdminServer(admin), registry.stop(), history.close()]);
      log.info('meridian stopped');
    },
  };
}

function summarize(registry: Registry, policies: PolicyStore) {
  const services = [...registry.snapshot().services.values()];
  return {
    services: services.length,
    endpoints: services.reduce((total, service) => total + service.endpoints.length, 0),
    registryRevision: registry.snapshot().revision,
    policies: policies.current().policies.length,
    policyRevision: policies.current().revision,
  };
}
