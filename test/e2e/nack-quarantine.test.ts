import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { Registry as MetricsRegistry } from 'prom-client';
import { buildAdminServer, closeAdminServer, listenAdminServer, NackLog, SyncStatusTracker, type AdminServer, type NackEntry } from '../../admin';
import { groupKeyOf, MeshController, type ResourceBuilder } from '../../controller';
import { Registry, StaticSource } from '../../discovery';
import { buildResources, createConfigKinds, PolicyStore } from '../../policy';
import { SnapshotCache, TYPE_URL, XdsServer, type TypeUrl } from '../../xds';
import { EchoBackend, eventually, XdsEchoClient } from '../helpers/backends';

// grpc-js-xds adds the xds: resolver and the xDS load-balancing policies to grpc-js.
require('@grpc/grpc-js-xds').register();

function meshYaml(port: number, algorithm: string): string {
  return `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: ${port}, cluster: k8s-r1, locality: { region: r1, zone: r1-a } }
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: echo.test
  hostnames: [echo]
  loadBalancer:
    algorithm: ${algorithm}
`;
}

/**
 * The policy engine, except that gRPC clients get `lb_policy: LEAST_REQUEST` for the
 * `leastRequest` algorithm, as Envoy does. grpc-js-xds 1.14 rejects that cluster, which gives the
 * test a resource that Meridian's checks accept and a real client NACKs.
 */
const buildWithLeastRequestForGrpc: ResourceBuilder = (registry, policySet, profile) => {
  const generated = buildResources(registry, policySet.policies, profile);
  if (profile.kind === 'grpc') {
    for (const cluster of generated.byTypeUrl[TYPE_URL.cluster]) {
      const policy = policySet.policies.find((candidate) => candidate.service === cluster.name);
      if (policy?.loadBalancer.algorithm === 'leastRequest') cluster.message.lb_policy = 'LEAST_REQUEST';
    }
  }
  return { resources: new Map(Object.entries(generated.byTypeUrl) as [TypeUrl, (typeof generated.byTypeUrl)[TypeUrl]][]) };
};

let folder: string;
let backend: EchoBackend;
let xds: XdsServer;
let admin: AdminServer;
let adminPort: number;
let xdsPort: number;
let controller: MeshController;
let registry: Registry;
let policies: PolicyStore;
let cache: SnapshotCache;

before(async () => {
  backend = await EchoBackend.start('echo-a');
  folder = await mkdtemp(join(tmpdir(), 'meridian-nack-'));
  await writeFile(join(folder, 'mesh.yaml'), meshYaml(backend.port, 'roundRobin'));

  const logger = pino({ level: 'silent' });
  const kinds = createConfigKinds();
  registry = new Registry([new StaticSource({ paths: [folder], logger, kinds, name: 'static', debounceMs: 20 })], { logger });
  policies = new PolicyStore({ logger, kinds, debounceMs: 20 });
  cache = new SnapshotCache(groupKeyOf);
  controller = new MeshController({ registry, policies, cache, build: buildWithLeastRequestForGrpc, logger, debounceMs: 20 });
  const syncStatus = new SyncStatusTracker();
  const nacks = new NackLog({ sourceOf: (group, typeUrl, name, version) => controller.originOf(group, typeUrl, name, version) });
  xds = new XdsServer({ cache, logger, hooks: [syncStatus, nacks] });
  admin = buildAdminServer({
    readiness: () => ({ ready: true, sources: [] }),
    syncStatus,
    configSummary: () => ({}),
    registry: new MetricsRegistry(),
    nacks,
  });

  controller.start();
  await registry.start();
  await policies.watch([folder]);
  controller.recomputeAll();
  xdsPort = await xds.listen('127.0.0.1:0');
  adminPort = (await listenAdminServer(admin, '127.0.0.1:0')).port;
});

after(async () => {
  controller?.stop();
  await Promise.all([xds?.close(100), admin && closeAdminServer(admin), registry?.stop(), policies?.close()]);
  backend?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${adminPort}${path}`);
  assert.equal(response.status, 200);
  return (await response.json()) as T;
}

interface ClusterSync {
  streamId: number;
  state: string;
  lastSentVersion: string | null;
  lastAckedVersion: string | null;
}

async function clusterSync(): Promise<ClusterSync | undefined> {
  const body = await getJson<{ proxies: { streamId: number; nodeId: string; types: ({ typeUrl: string } & ClusterSync)[] }[] }>('/debug/sync?node=client-nack');
  const proxy = body.proxies[0];
  const type = proxy?.types.find((candidate) => candidate.typeUrl === TYPE_URL.cluster);
  return proxy === undefined || type === undefined ? undefined : { ...type, streamId: proxy.streamId };
}

test('rejected cluster is held and fixed', async () => {
  const client = new XdsEchoClient(`127.0.0.1:${xdsPort}`, 'echo', { id: 'client-nack', locality: { region: 'r1', zone: 'r1-a' } });
  try {
    await eventually(async () => (await client.tally(1))['echo-a'] === 1, 15_000);
    const accepted = await clusterSync();
    assert.equal(accepted?.state, 'synced');

    // An edit that the client rejects: the cluster is NACKed and held, calls keep working.
    await writeFile(join(folder, 'mesh.yaml'), meshYaml(backend.port, 'leastRequest'));
    let nacks: NackEntry[] = [];
    await eventually(async () => {
      nacks = (await getJson<{ nacks: NackEntry[] }>('/debug/nacks?node=client-nack')).nacks;
      return nacks.length > 0;
    }, 10_000);
    const nack = nacks[0]!;
    assert.equal(nack.typeUrl, TYPE_URL.cluster);
    assert.equal(nack.traced, true);
    assert.match(nack.message, /lb_policy/);
    assert.equal(nack.policyRevision, policies.current().revision);
    assert.deepEqual(nack.resources.map((resource) => resource.name), ['echo.test']);
    const source = nack.resources[0]!.source;
    assert.equal(source?.policy, 'echo');
    assert.equal(source?.file, join(folder, 'mesh.yaml'));
    assert.equal(source?.line, 11);
    assert.deepEqual(await client.tally(5), { 'echo-a': 5 }, 'the proxy keeps its last accepted cluster');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await getJson<{ nacks: NackEntry[] }>('/debug/nacks?node=client-nack')).nacks.length, 1, 'the rejected version is not sent in a loop');

    // The fix reaches the client on the same stream, and the client ends on the fixed version.
    await writeFile(join(folder, 'mesh.yaml'), meshYaml(backend.port, 'ringHash'));
    let fixed: ClusterSync | undefined;
    await eventually(async () => {
      fixed = await clusterSync();
      return fixed?.state === 'synced' && fixed.lastAckedVersion !== accepted?.lastAckedVersion;
    }, 10_000);
    assert.equal(fixed!.streamId, accepted!.streamId, 'the same stream carries the fix');
    assert.notEqual(fixed!.lastAckedVersion, nack.version, 'the client did not end on the rejected version');
    assert.equal(fixed!.lastAckedVersion, cache.getSnapshot(nack.group!)!.types.get(TYPE_URL.cluster)!.version, 'the client holds the fixed snapshot');
    assert.deepEqual(await client.tally(5), { 'echo-a': 5 });
    assert.equal((await getJson<{ nacks: NackEntry[] }>('/debug/nacks?node=client-nack')).nacks.length, 1, 'the fixed version is accepted');
  } finally {
    client.close();
  }
});

