import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { groupKeyOf, MeshController, type ResourceBuilder } from '../../controller';
import type { RegistrySnapshot } from '../../discovery';
import type { PolicySet } from '../../policy';
import { buildSnapshot, encodeResource, SnapshotCache, TYPE_URL, type NodeInfo, type Snapshot } from '../../xds';
import { memoryLogger } from '../config/fixtures';

function node(id: string, zone: string, userAgentName = 'envoy'): NodeInfo {
  return { id, cluster: 'shop', locality: { region: 'eu-west', zone, subZone: '' }, userAgentName, metadata: {} };
}

/** A registry and policy store whose change listeners the test fires by hand. */
function fakeInputs(synced: boolean) {
  const listeners: (() => void)[] = [];
  const state = { synced, revision: 1 };
  const registry = {
    snapshot: (): RegistrySnapshot => ({ services: new Map(), revision: state.revision }),
    synced: () => state.synced,
    onChange: (listener: () => void) => {
      listeners.push(listener);
      return () => undefined;
    },
  };
  const policies = { current: (): PolicySet => ({ policies: [], revision: 'p1' }), onChange: () => () => undefined };
  const fire = () => listeners.forEach((listener) => listener());
  return { registry, policies, state, fire };
}

/** Builds one cluster named after the client's zone and counts its calls. */
function countingBuilder(): { build: ResourceBuilder; calls: string[] } {
  const calls: string[] = [];
  const build: ResourceBuilder = (registry, _policies, profile) => {
    calls.push(profile.locality?.zone ?? '');
    const name = `cluster-${profile.locality?.zone}-${registry.revision}`;
    return { resources: new Map([[TYPE_URL.cluster, [{ name, message: { name } }]]]) };
  };
  return { build, calls };
}

test('proxies in one locality share a snapshot', () => {
  const { registry, policies } = fakeInputs(true);
  const { build, calls } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const controller = new MeshController({ registry, policies, cache, build, logger: pino({ level: 'silent' }) });
  controller.start();

  const received: Snapshot[] = [];
  for (const id of ['a-1', 'a-2', 'a-3']) cache.watch(node(id, 'eu-west-1a'), (snapshot) => received.push(snapshot));
  cache.watch(node('b-1', 'eu-west-1b'), (snapshot) => received.push(snapshot));

  assert.deepEqual(calls, ['eu-west-1a', 'eu-west-1b'], 'one computation per locality, not per proxy');
  assert.equal(received.length, 4);
  assert.equal(received[0], received[1], 'proxies of one group get the same snapshot object');
  assert.equal(received[1], received[2]);
  assert.notEqual(received[0], received[3]);
  controller.stop();
});

test('envoy and grpc clients get separate groups', () => {
  assert.notEqual(groupKeyOf(node('envoy', 'eu-west-1a')), groupKeyOf(node('grpc', 'eu-west-1a', 'gRPC Node Pure JS')));
  assert.equal(groupKeyOf(node('one', 'eu-west-1a')), groupKeyOf(node('two', 'eu-west-1a')));
});

test('nothing is published before discovery syncs', async () => {
  const { registry, policies, state, fire } = fakeInputs(false);
  const { build, calls } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const controller = new MeshController({ registry, policies, cache, build, logger: pino({ level: 'silent' }), debounceMs: 5 });
  controller.start();

  const received: Snapshot[] = [];
  cache.watch(node('a-1', 'eu-west-1a'), (snapshot) => received.push(snapshot));
  assert.deepEqual(calls, []);
  assert.equal(received.length, 0);

  state.synced = true;
  fire();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(received.length, 1, 'the waiting proxy gets its snapshot once discovery has synced');
  controller.stop();
});

test('bursts of changes are coalesced', async () => {
  const { registry, policies, state, fire } = fakeInputs(true);
  const { build, calls } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const controller = new MeshController({ registry, policies, cache, build, logger: pino({ level: 'silent' }), debounceMs: 30, maxDelayMs: 1000 });
  controller.start();
  cache.watch(node('a-1', 'eu-west-1a'), () => undefined);
  calls.length = 0;

  for (let i = 0; i < 10; i++) {
    state.revision++;
    fire();
  }
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(calls.length, 1, 'ten changes in a burst cause one recomputation');
  assert.equal(cache.getSnapshot(groupKeyOf(node('a-1', 'eu-west-1a')))!.types.get(TYPE_URL.cluster)!.resources.has('cluster-eu-west-1a-11'), true);
  controller.stop();
});

/** Starts a controller whose reports carry the time in `clock.changedAt`, with one watched group. */
function timedController(debounceMs: number) {
  const { registry, policies, state, fire } = fakeInputs(true);
  const { build, calls } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const clock: { changedAt?: number } = {};
  const controller = new MeshController({
    registry,
    policies,
    cache,
    build,
    logger: pino({ level: 'silent' }),
    debounceMs,
    changedAt: () => clock.changedAt,
  });
  controller.start();
  cache.watch(node('a-1', 'eu-west-1a'), () => undefined);
  calls.length = 0;
  return { controller, state, fire, calls, clock };
}

test('quiet period counts from the change', async () => {
  const { controller, state, fire, calls, clock } = timedController(400);

  // A change that happened 380 ms ago has 20 ms of its quiet period left.
  clock.changedAt = Date.now() - 380;
  state.revision++;
  fire();
  clock.changedAt = undefined;
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(calls.length, 1, 'recomputed without a second full quiet period');

  // A change reported without a time waits the whole quiet period.
  state.revision++;
  fire();
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(calls.length, 1, 'still waiting');
  await new Promise((resolve) => setTimeout(resolve, 350));
  assert.equal(calls.length, 2);
  controller.stop();
});

test('later change extends the quiet period', async () => {
  const { controller, state, fire, calls, clock } = timedController(300);

  state.revision++;
  fire();
  // An older change reported afterwards does not cut the pending change's quiet period short.
  clock.changedAt = Date.now() - 1000;
  fire();
  clock.changedAt = undefined;
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(calls.length, 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(calls.length, 1);
  controller.stop();
});

test('publish logs cause and changed groups', async () => {
  const { registry, policies, state, fire } = fakeInputs(true);
  const { build } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const { logger, records } = memoryLogger();
  const controller = new MeshController({ registry, policies, cache, build, logger, debounceMs: 5 });
  controller.start();
  cache.watch(node('a-1', 'eu-west-1a'), () => undefined);
  cache.watch(node('b-1', 'eu-west-1b'), () => undefined);

  state.revision++;
  fire();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const published = records.filter((record) => record.msg === 'snapshots published');
  assert.equal(published.length, 1);
  assert.deepEqual(published[0].reasons, ['registry']);
  assert.equal(published[0].cause, 'registry=2 policy=p1');
  assert.equal(published[0].groups, 2);
  assert.equal(published[0].changedGroups, 2);
  const perGroup = records.filter((record) => record.msg === 'snapshot published');
  assert.deepEqual(perGroup.at(-1)?.changedTypes, [TYPE_URL.cluster]);

  // A recompute that changes no version logs nothing at info level.
  fire();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(records.filter((record) => record.msg === 'snapshots published').length, 1);
  controller.stop();
});

test('restored snapshot kept after sync timeout', async () => {
  const { registry, policies, state, fire } = fakeInputs(false);
  const { build, calls } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const controller = new MeshController({ registry, policies, cache, build, logger: pino({ level: 'silent' }), debounceMs: 5 });
  controller.start();
  const restoredGroup = groupKeyOf(node('a-1', 'eu-west-1a'));
  const restored = buildSnapshot(new Map([[TYPE_URL.cluster, [encodeResource(TYPE_URL.cluster, 'restored', { name: 'restored' })]]]), 'restored');
  cache.setSnapshot(restoredGroup, restored);
  controller.keepRestored(restoredGroup);
  cache.watch(node('a-1', 'eu-west-1a'), () => undefined);
  cache.watch(node('b-1', 'eu-west-1b'), () => undefined);

  controller.serveUnsynced();
  assert.equal(cache.getSnapshot(restoredGroup), restored, 'the restored group keeps its snapshot');
  assert.deepEqual(calls, ['eu-west-1b'], 'a group without a restored snapshot is served from the synced sources');

  state.synced = true;
  fire();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.notEqual(cache.getSnapshot(restoredGroup), restored, 'once discovery syncs, the restored snapshot is replaced');
  controller.stop();
});

test('origin found by rejected version', async () => {
  const { registry, policies, state, fire } = fakeInputs(true);
  // Each registry revision gives the cluster other content and another policy line.
  const build: ResourceBuilder = (snapshot) => {
    const origin = { policy: 'checkout', file: 'policies.yaml', line: snapshot.revision, column: 1 };
    const message = { name: 'checkout', connect_timeout: { seconds: snapshot.revision } };
    return { resources: new Map([[TYPE_URL.cluster, [{ name: 'checkout', message, origin }]]]) };
  };
  const cache = new SnapshotCache(groupKeyOf);
  const controller = new MeshController({ registry, policies, cache, build, logger: pino({ level: 'silent' }), debounceMs: 5 });
  controller.start();
  cache.watch(node('a-1', 'eu-west-1a'), () => undefined);
  const group = groupKeyOf(node('a-1', 'eu-west-1a'));
  const versionNow = () => cache.getSnapshot(group)!.types.get(TYPE_URL.cluster)!.resources.get('checkout')!.version;
  const rejected = versionNow();

  state.revision++;
  fire();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fixed = versionNow();
  assert.notEqual(fixed, rejected);
  // A recompute that changes nothing keeps the origins of the version before the fix.
  controller.recomputeAll();

  assert.equal(controller.originOf(group, TYPE_URL.cluster, 'checkout', rejected)?.line, 1, 'a NACK of the old version finds the old source');
  assert.equal(controller.originOf(group, TYPE_URL.cluster, 'checkout', fixed)?.line, 2);
  assert.equal(controller.originOf(group, TYPE_URL.cluster, 'checkout', 'unknown-version'), undefined);
  controller.stop();
});

test('max delay ends an endless burst', async () => {
  const { registry, policies, state, fire } = fakeInputs(true);
  const { build, calls } = countingBuilder();
  const cache = new SnapshotCache(groupKeyOf);
  const controller = new MeshController({ registry, policies, cache, build, logger: pino({ level: 'silent' }), debounceMs: 100, maxDelayMs: 300 });
  controller.start();
  cache.watch(node('a-1', 'eu-west-1a'), () => undefined);
  calls.length = 0;

  // A change every 20 ms never leaves the 100 ms quiet period.
  const burstEnd = Date.now() + 1000;
  while (Date.now() < burstEnd) {
    state.revision++;
    fire();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(calls.length >= 2, `expected a recompute at least every 300 ms during the 1 s burst, got ${calls.length}`);
  assert.ok(calls.length <= 4, `the burst was coalesced, got ${calls.length} recomputes`);
  controller.stop();
});
