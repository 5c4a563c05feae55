import type { Logger } from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import {
  buildAdminServer,
  closeAdminServer,
  listenAdminServer,
  parseListenAddress,
  NackLog,
  readinessOf,
  SyncStatusTracker,
  XdsMetrics,
  type Readiness,
  type ServiceEntry,
} from '../admin';
import { ConfigWatcher, DocumentLoader, formatDiagnosticForLog, type Diagnostic, type LoadedDocuments } from '../config';
import { Registry, StaticSource, type DiscoverySource } from '../discovery';
import { hostPortOf } from '../health';
import { buildResources, createConfigKinds, PolicyStore, type HealthInput } from '../policy';
import { PolicyHistory, RevisionStore, SnapshotStore } from '../store';
import { SnapshotCache, XdsServer, type AdmissionOptions, type TypeUrl } from '../xds';
import { MeshController, type ResourceBuilder } from './controller';
import { clientKindOf, groupKeyOf } from './groups';
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
  /** Time without a report after which a prober's votes lapse, in milliseconds. Default five report intervals. */
  healthSilenceMs?: number;
  /** Maximum share of a service's endpoints, from 0 to 1, that one prober may eject at once. Default 0.5. */
  healthMaxEjectShare?: number;
  /** Probers outside an endpoint's own zone that check it. Default 1. */
  healthRemoteProbers?: number;
  /** Maximum time a change waits while further changes keep arriving, in milliseconds. Default 1000. */
  maxDelayMs?: number;
  /**
   * Maximum wait for discovery sources to sync, in milliseconds. Until then proxies get the last
   * known good snapshot from `stateDir`, or wait. After it, snapshots are computed from the
   * sources that have synced, and the log and `/readyz` report it. Default 30000.
   */
  syncTimeoutMs?: number;
  /** Pacing of the first response of new xDS streams. Default: the xDS server's default. */
  admission?: AdmissionOptions;
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

/** Returns a builder that computes resources with the policy engine and the health decisions. */
const buildWithPolicyEngine = (health?: HealthInput): ResourceBuilder => (registry, policySet, profile) => {
  const generated = buildResources(registry, policySet.policies, profile, health);
  return { resources: new Map(Object.entries(generated.byTypeUrl) as [TypeUrl, (typeof generated.byTypeUrl)[TypeUrl]][]) };
};

/**
 * Starts a control plane: the static discovery source and the policy store on the config paths,
 * the controller, the xDS server and the admin server. Proxies that connect before discovery has
 * synced wait for it; they are never sent a partial configuration. One watcher reloads the config
 * paths for both the static source and the policy history, so each edit is read, parsed and
 * validated once.
 */
export async function startMeridian(options: MeridianOptions): Promise<RunningMeridian> {
  const log = options.logger;
  const paths = [...options.configPaths];
  if (paths.length === 0) throw new Error('no configuration path given; pass --config PATH with a YAML file or folder');
  // Parse both addresses before anything starts, so a typo fails fast with a clear message.
  const adminAddress = parseListenAddress(options.adminAddress);
  parseListenAddress(options.xdsAddress);

  // The source and the store share the kinds, so that validating one load for both is done once.
  const kinds = createConfigKinds();
  const loader = new DocumentLoader();
  // The policy store validates every load with the services and logs each rejection once for both.
  const source = new StaticSource({ paths, logger: log, kinds, name: 'static', watch: false, loader, logRejections: false });
  const registry = new Registry([...(options.discoverySources ?? []), source], { logger: log });
  const policies = new PolicyStore({ logger: log, kinds });
  const revisions = await RevisionStore.open(options.stateDir);
  const history = new PolicyHistory({ policies, revisions, configPaths: paths, logger: log, watch: false, loader });
  const configWatcher = new ConfigWatcher(paths, (loaded) => offerConfig(loaded, history, source, log), {
    logger: log.child({ component: 'config-watcher' }),
    debounceMs: options.debounceMs,
    maxDelayMs: options.maxDelayMs,
    loader,
  });

  const metricsRegistry = new MetricsRegistry();
  const metrics = new XdsMetrics({ registry: metricsRegistry });
  const syncStatus = new SyncStatusTracker({ kindOf: clientKindOf });
  const cache = new SnapshotCache(groupKeyOf);
  const nackLog = new NackLog({ sourceOf: (group, typeUrl, name, version) => controller.originOf(group, typeUrl, name, version) });
  const xds = new XdsServer({
    cache,
    logger: log.child({ component: 'xds' }),
    hooks: [metrics, syncStatus, nackLog],
    admission: options.admission,
  });
  const snapshotStore = options.stateDir === undefined ? undefined : new SnapshotStore({ stateDir: options.stateDir, logger: log });
  const health = createHealthMesh({
    registry,
    policies,
    logger: log.child({ component: 'health' }),
    metrics: metricsRegistry,
    reportIntervalMs: options.healthReportIntervalMs,
    silenceMs: options.healthSilenceMs,
    maxEjectShare: options.healthMaxEjectShare,
    remoteProbers: options.healthRemoteProbers,
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
    maxDelayMs: options.maxDelayMs,
    changedAt: () => configWatcher.eventTimeOfReload,
    onPublished: (group) => {
      const snapshot = cache.getSnapshot(group);
      if (snapshot) snapshotStore?.save(group, snapshot);
    },
  });
  registry.onChange(() => metrics.observeRegistry(registry.snapshot()));
  metrics.observeConfigErrors(() => configErrorsOf(source).length);

  const warmStart = { restoredGroups: 0, syncTimedOut: false };
  const admin = buildAdminServer({
    readiness: () => {
      const readiness = readinessOf([{ name: source.name, synced: source.synced }]);
      if (readiness.ready && !policies.synced) {
        return { ...readiness, ready: false, reason: 'waiting for a valid set of traffic policies' };
      }
      return describeWarmStart(readiness, registry.synced(), warmStart, snapshotStore?.location, options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS);
    },
    nacks: nackLog,
    syncStatus,
    configSummary: () => ({ ...summarize(registry, policies), configErrors: configErrorsOf(source).map(formatDiagnosticForLog) }),
    endpoints: { endpoints: () => endpointsOf(registry, health) },
    registry: metricsRegistry,
    logger: log,
    policyWorkflow: createPolicyWorkflow({ history, policies, registry, cache, health: health.input }),
    health,
  });

  controller.start();
  const restored = (await snapshotStore?.load()) ?? new Map();
  for (const [group, snapshot] of restored) {
    try {
      cache.setSnapshot(group, snapshot);
      controller.keepRestored(group);
      warmStart.restoredGroups++;
    } catch (error) {
      log.warn({ group, err: error }, 'restored snapshot rejected');
    }
  }
  const syncTimeoutMs = options.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  const syncTimer = setTimeout(() => {
    if (registry.synced()) return;
    warmStart.syncTimedOut = true;
    const message =
      warmStart.restoredGroups > 0
        ? 'discovery sync timed out; restored groups keep the last known good snapshot, other groups are served from the sources that have synced'
        : 'discovery sync timed out; serving from the sources that have synced';
    log.warn({ syncTimeoutMs, restoredGroups: warmStart.restoredGroups }, message);
    controller.serveUnsynced();
  }, syncTimeoutMs);
  syncTimer.unref();
  const registryStarted = registry.start().then(
    () => controller.recomputeAll(),
    (error: unknown) => log.error({ err: error }, 'discovery start failed'),
  );
  // With a restored snapshot, proxies are served at once and discovery catches up behind them.
  if (warmStart.restoredGroups === 0) await Promise.race([registryStarted, delay(syncTimeoutMs)]);
  else log.info({ restoredGroups: warmStart.restoredGroups, file: snapshotStore?.location }, 'serving the last known good snapshot until discovery syncs');
  await history.start();
  // The source and the history read the paths before the watcher started. A reload now applies an
  // edit made meanwhile. When nothing changed, the loader returns the same document set, whose
  // validation is reused.
  configWatcher.start();
  await configWatcher.reloadNow();
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
    const message =
      warmStart.restoredGroups > 0
        ? 'discovery has not synced; proxies of the restored groups get the last known good snapshot, and others wait until the configuration is valid'
        : 'discovery has not synced; proxies wait until the configuration is valid';
    log.warn({ errors: source.lastErrors().length, restoredGroups: warmStart.restoredGroups }, message);
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
      clearTimeout(syncTimer);
      controller.stop();
      await snapshotStore?.flush();
      health.close();
      const stopConfig = async () => {
        // The watcher stops first and waits for its reload in progress, so that no reload reaches
        // the source or the history while they stop.
        await configWatcher.close();
        await Promise.all([registry.stop(), history.close()]);
      };
      await Promise.all([xds.close(500), closeAdminServer(admin), stopConfig()]);
      log.info('meridian stopped');
    },
  };
}

/**
 * Hands one load of the config paths to the policy history and then to the static source. The
 * history goes first because it may wait for an apply in progress and for its revision log on
 * disk, which would leave the registry changed and the policies not. Between the policy store's
 * change and the registry's, only promise callbacks run and no timer or I/O callback, so the
 * controller's recompute and the admin API see both changes of an edit or neither.
 */
async function offerConfig(loaded: LoadedDocuments, history: PolicyHistory, source: StaticSource, log: Logger): Promise<void> {
  try {
    await history.offerFolder(loaded);
  } catch (error) {
    log.error({ err: error, files: loaded.files }, 'policy reload failed; the services of the edit are applied without its policies');
  }
  source.offer(loaded);
}

/** Resolves after `ms` without keeping the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Default of `MeridianOptions.syncTimeoutMs`. */
export const DEFAULT_SYNC_TIMEOUT_MS = 30_000;

/** Adds to the readiness where the served snapshots come from during and after a warm start. */
function describeWarmStart(
  readiness: Readiness,
  synced: boolean,
  warmStart: { restoredGroups: number; syncTimedOut: boolean },
  file: string | undefined,
  syncTimeoutMs: number,
): Readiness {
  if (synced) return { ...readiness, servingFrom: 'computed' };
  if (warmStart.syncTimedOut) {
    const serving =
      warmStart.restoredGroups > 0
        ? `; ${warmStart.restoredGroups} proxy groups keep the last known good snapshot from ${file}, and other groups are served from the sources that have synced`
        : '; serving from the sources that have synced';
    return { ...readiness, servingFrom: 'sync-timeout', detail: `discovery sources did not sync within ${syncTimeoutMs} ms${serving}` };
  }
  if (warmStart.restoredGroups > 0) {
    return {
      ...readiness,
      servingFrom: 'restored',
      detail: `serving the last known good snapshot of ${warmStart.restoredGroups} proxy groups from ${file} until discovery sources sync`,
    };
  }
  return readiness;
}

/** Returns every service of the registry with its endpoints, each with the health the prober mesh decided. */
function endpointsOf(registry: Registry, health: HealthMesh): { registryRevision: number; services: ServiceEntry[] } {
  const checked = new Map<string, { healthy: boolean; changedAt?: string }>();
  for (const decision of health.aggregator.state().endpoints) checked.set(`${decision.service} ${decision.endpoint}`, decision);
  const snapshot = registry.snapshot();
  const services = [...snapshot.services.values()].map((service) => ({
    name: service.name,
    port: service.port,
    protocol: service.protocol,
    endpoints: service.endpoints.map((endpoint) => {
      const decision = checked.get(`${service.name} ${hostPortOf(endpoint.address, endpoint.port)}`);
      if (decision === undefined) return { ...endpoint, health: 'unchecked' as const };
      const health = decision.healthy ? ('healthy' as const) : ('unhealthy' as const);
      return decision.changedAt === undefined ? { ...endpoint, health } : { ...endpoint, health, healthChangedAt: decision.changedAt };
    }),
  }));
  return { registryRevision: snapshot.revision, services };
}

/** Returns the errors of the newest load of the config files, empty when it was accepted. */
function configErrorsOf(source: StaticSource): Diagnostic[] {
  return source.lastErrors().filter((diagnostic) => diagnostic.severity === 'error');
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
