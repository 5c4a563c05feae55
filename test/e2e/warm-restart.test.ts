import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import type { DiscoverySource, Service } from '../../discovery';
import { messageType, TYPE_URL } from '../../xds';
import { policyYaml, serviceYaml, yamlFile } from '../helpers/mesh-yaml';
import { XdsDriver, type ObservedResponse } from '../helpers/xds-driver';

const MESH = yamlFile(
  serviceYaml('echo.test', [
    { port: 50051, cluster: 'k8s-r1', region: 'r1', zone: 'r1-a' },
    { port: 50052, cluster: 'k8s-r1', region: 'r1', zone: 'r1-b' },
    { port: 50053, cluster: 'k8s-r2', region: 'r2', zone: 'r2-c' },
  ]),
  policyYaml('echo', 'echo.test', ['echo']),
);

/** A discovery source that reports nothing and syncs only after `delayMs`, like a slow Kubernetes API. */
class SlowSource implements DiscoverySource {
  readonly name = 'slow';
  synced = false;
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly delayMs: number) {}

  start(): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.synced = true;
        for (const listener of this.listeners) listener();
        resolve();
      }, this.delayMs);
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
  }

  services(): readonly Service[] {
    return [];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const NODE = { id: 'sidecar-r1', cluster: 'shop', locality: { region: 'r1', zone: 'r1-a' } };

/** Counts the endpoints of every ClusterLoadAssignment in a response. */
function endpointCounts(response: ObservedResponse): number[] {
  const type = messageType('envoy.config.endpoint.v3.ClusterLoadAssignment');
  return response.resources.map((resource) => {
    const assignment = type.toObject(type.decode(resource.body)) as { endpoints?: { lb_endpoints?: unknown[] }[] };
    return (assignment.endpoints ?? []).reduce((total, locality) => total + (locality.lb_endpoints?.length ?? 0), 0);
  });
}

async function readiness(meridian: RunningMeridian): Promise<{ servingFrom?: string; detail?: string }> {
  const response = await fetch(`http://127.0.0.1:${meridian.adminPort}/readyz`);
  return (await response.json()) as { servingFrom?: string; detail?: string };
}

let folder: string;
let stateDir: string;
const running: RunningMeridian[] = [];

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'meridian-restart-'));
  stateDir = join(folder, 'state');
  await writeFile(join(folder, 'mesh.yaml'), MESH);
});

after(async () => {
  for (const meridian of running) await meridian.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function start(extra: DiscoverySource[] = [], syncTimeoutMs = 10_000): Promise<RunningMeridian> {
  const meridian = await startMeridian({
    configPaths: [join(folder, 'mesh.yaml')],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
    stateDir,
    discoverySources: extra,
    syncTimeoutMs,
    admission: { ratePerSecond: 0, burst: 1 },
  });
  running.push(meridian);
  return meridian;
}

test('restart serves last known good endpoints', async () => {
  for (const variant of ['sotw', 'delta'] as const) {
    await rm(stateDir, { recursive: true, force: true });
    const first = await start();
    const client = new XdsDriver(variant, `127.0.0.1:${first.xdsPort}`, NODE);
    client.subscribe(TYPE_URL.cluster);
    client.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
    await client.settle();
    assert.deepEqual(Object.keys(client.holds(TYPE_URL.cluster)), ['echo.test']);
    const held = client.holds(TYPE_URL.clusterLoadAssignment);
    client.close();
    await first.close();

    // The second process has a source that takes 1.5 s to sync; the snapshot file covers the gap.
    const second = await start([new SlowSource(1500)]);
    assert.equal((await readiness(second)).servingFrom, 'restored');

    const fresh = new XdsDriver(variant, `127.0.0.1:${second.xdsPort}`, { ...NODE, id: 'sidecar-new' });
    fresh.subscribe(TYPE_URL.cluster);
    fresh.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
    const restoredResponses = await fresh.settle();
    assert.ok(restoredResponses.length >= 2, `${variant}: a new proxy is served before discovery syncs`);

    const reconnecting = new XdsDriver(variant, `127.0.0.1:${second.xdsPort}`, NODE);
    reconnecting.subscribe(TYPE_URL.cluster);
    reconnecting.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
    await reconnecting.settle();

    await new Promise((resolve) => setTimeout(resolve, 1700));
    assert.equal((await readiness(second)).servingFrom, 'computed');
    const afterSync = [...(await fresh.settle()), ...(await reconnecting.settle())];
    assert.deepEqual(afterSync, [], `${variant}: the synced configuration has the versions the proxies hold`);

    for (const response of [...restoredResponses, ...afterSync, ...reconnecting.log]) {
      if (response.typeUrl !== TYPE_URL.clusterLoadAssignment) continue;
      for (const count of endpointCounts(response)) assert.equal(count, 3, `${variant}: never an empty or partial endpoint list`);
    }
    assert.deepEqual(fresh.holds(TYPE_URL.clusterLoadAssignment), held, `${variant}: same content, same version after a restart`);
    fresh.close();
    reconnecting.close();
    await second.close();
  }
});

test('sync timeout serves the synced sources', async () => {
  // No snapshot file, and a source that would take a minute: after the timeout the control plane
  // serves what the synced static source has, and reports it in /readyz.
  await rm(stateDir, { recursive: true, force: true });
  const slow = new SlowSource(60_000);
  const startedAt = Date.now();
  const meridian = await start([slow], 400);
  assert.ok(Date.now() - startedAt < 10_000, 'start-up is bounded by the sync timeout');

  const ready = await readiness(meridian);
  assert.equal(ready.servingFrom, 'sync-timeout');
  assert.match(ready.detail ?? '', /did not sync within 400 ms/);

  const client = new XdsDriver('sotw', `127.0.0.1:${meridian.xdsPort}`, NODE);
  client.subscribe(TYPE_URL.cluster);
  client.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
  const responses = await client.settle();
  const assignments = responses.filter((response) => response.typeUrl === TYPE_URL.clusterLoadAssignment);
  assert.ok(assignments.length > 0, 'the proxy is served after the timeout');
  for (const response of assignments) {
    for (const count of endpointCounts(response)) assert.equal(count, 3, 'the endpoints of the static source are served whole');
  }
  client.close();
  await slow.stop();
});

/** Connects a SotW proxy that subscribes to every Cluster and to echo.test's assignment. */
function connect(meridian: RunningMeridian, id: string): XdsDriver {
  const client = new XdsDriver('sotw', `127.0.0.1:${meridian.xdsPort}`, { ...NODE, id });
  client.subscribe(TYPE_URL.cluster);
  client.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
  return client;
}

/** Fails when a proxy was ever sent no Cluster, or fewer than 3 endpoints of echo.test. */
function assertNeverEmpty(responses: readonly ObservedResponse[], label: string): void {
  for (const response of responses) {
    if (response.typeUrl === TYPE_URL.cluster) assert.ok(response.resources.length > 0, `${label}: an empty Cluster list was sent`);
    if (response.typeUrl !== TYPE_URL.clusterLoadAssignment) continue;
    for (const count of endpointCounts(response)) assert.equal(count, 3, `${label}: never an empty or partial endpoint list`);
  }
}

/** Runs a server on MESH until a proxy has ACKed its configuration, so the state folder has a snapshot. */
async function saveSnapshot(): Promise<void> {
  await rm(stateDir, { recursive: true, force: true });
  await writeFile(join(folder, 'mesh.yaml'), MESH);
  const first = await start();
  const client = connect(first, NODE.id);
  await client.settle();
  client.close();
  await first.close();
}

test('broken policy at restart keeps services', async () => {
  await saveSnapshot();
  // A typo in the TrafficPolicy: the services are valid, and the revision in force has a valid policy.
  const broken = MESH.replace('hostnames: [echo]', 'hostnamez: [echo]');
  assert.notEqual(broken, MESH);
  await writeFile(join(folder, 'mesh.yaml'), broken);
  const meridian = await start([], 400);
  const client = connect(meridian, 'sidecar-policy-typo');
  const responses = await client.settle();
  await new Promise((resolve) => setTimeout(resolve, 600));
  responses.push(...(await client.settle()));

  assertNeverEmpty(responses, 'broken policy');
  assert.deepEqual(Object.keys(client.holds(TYPE_URL.cluster)), ['echo.test']);
  assert.equal((await readiness(meridian)).servingFrom, 'computed');
  const summary = (await (await fetch(`http://127.0.0.1:${meridian.adminPort}/debug/config`)).json()) as { services: number; endpoints: number };
  assert.equal(summary.services, 1);
  assert.equal(summary.endpoints, 3);
  client.close();
  await writeFile(join(folder, 'mesh.yaml'), MESH);
});

test('restored snapshot outlives sync timeout', async () => {
  await saveSnapshot();
  // An invalid port in the ServiceEndpoints document: the static source cannot sync at all.
  const broken = MESH.replace('port: 50053', 'port: 70000');
  assert.notEqual(broken, MESH);
  await writeFile(join(folder, 'mesh.yaml'), broken);
  const meridian = await start([], 400);
  const client = connect(meridian, NODE.id);
  const responses = await client.settle();
  const restoredVersions = client.holds(TYPE_URL.clusterLoadAssignment);
  await new Promise((resolve) => setTimeout(resolve, 600));

  const ready = await readiness(meridian);
  assert.equal(ready.servingFrom, 'sync-timeout');
  assert.match(ready.detail ?? '', /did not sync within 400 ms; 1 proxy groups keep the last known good snapshot/);
  const afterTimeout = await client.settle();
  assert.deepEqual(afterTimeout, [], 'the timeout replaces no restored snapshot');
  assertNeverEmpty(responses, 'before the timeout');

  // Fixing the file syncs the source. The computed snapshot has the same content, so the proxy keeps its versions.
  await writeFile(join(folder, 'mesh.yaml'), MESH);
  const deadline = Date.now() + 10_000;
  while ((await readiness(meridian)).servingFrom !== 'computed') {
    assert.ok(Date.now() < deadline, 'the fixed file did not sync the source within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const afterFix = await client.settle(300);
  assertNeverEmpty(afterFix, 'after the fix');
  assert.deepEqual(client.holds(TYPE_URL.clusterLoadAssignment), restoredVersions);
  client.close();
});
