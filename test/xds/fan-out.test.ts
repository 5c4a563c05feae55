import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { buildSnapshot, encodeResource, SnapshotCache, StreamAdmission, TYPE_URL, XdsServer, type EncodedResource, type TypeUrl } from '../../xds';
import { RawDeltaStream, RawXdsStream } from '../helpers/ads-client';

const NODE = { id: 'sidecar', cluster: 'shop', locality: { region: 'r1', zone: 'r1-a' } };

/** Builds a snapshot with one ClusterLoadAssignment of `endpoints` endpoints, stamped with `generation`. */
function assignmentSnapshot(generation: number, endpoints = 2000) {
  const assignment = encodeResource(TYPE_URL.clusterLoadAssignment, 'big', {
    cluster_name: 'big',
    endpoints: [
      {
        lb_endpoints: Array.from({ length: endpoints }, (_, index) => ({
          endpoint: { address: { socket_address: { address: `10.${(index >> 8) & 255}.${index & 255}.${generation % 250}`, port_value: 8080 } } },
        })),
      },
    ],
  });
  return buildSnapshot(new Map<TypeUrl, EncodedResource[]>([[TYPE_URL.clusterLoadAssignment, [assignment]]]), `generation ${generation}`);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('admission serves a burst then paces', async () => {
  const admission = new StreamAdmission({ ratePerSecond: 20, burst: 2 });
  const admitted: number[] = [];
  for (let stream = 0; stream < 5; stream++) admission.admit(() => admitted.push(stream));
  assert.deepEqual(admitted, [0, 1], 'the burst is served at once');
  assert.equal(admission.queued, 3);

  await delay(400);
  assert.deepEqual(admitted, [0, 1, 2, 3, 4], 'waiting streams are served in arrival order as tokens refill');
  admission.close();
});

test('admission withdraws a stream that leaves', async () => {
  const admission = new StreamAdmission({ ratePerSecond: 20, burst: 1 });
  const admitted: string[] = [];
  admission.admit(() => admitted.push('first'));
  const withdraw = admission.admit(() => admitted.push('gone'));
  admission.admit(() => admitted.push('third'));
  withdraw();
  await delay(300);
  assert.deepEqual(admitted, ['first', 'third']);
  admission.close();
});

test('admission rejects invalid settings', () => {
  assert.throws(() => new StreamAdmission({ ratePerSecond: -1, burst: 1 }), /invalid admission rate -1/);
  assert.throws(() => new StreamAdmission({ ratePerSecond: 10, burst: 0 }), /invalid admission burst 0/);
});

let cache: SnapshotCache;
let server: XdsServer;
let address: string;

before(async () => {
  cache = new SnapshotCache(() => 'all');
  server = new XdsServer({ cache, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), admission: { ratePerSecond: 0, burst: 1 } });
  address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
});

after(async () => {
  await server.close(100);
});

test('slow proxy gets only the latest version', async () => {
  cache.setSnapshot('all', assignmentSnapshot(0));
  const slow = new RawXdsStream(address);
  const fast = new RawXdsStream(address);
  try {
    for (const stream of [slow, fast]) stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['big'] });
    const slowFirst = await slow.next();
    let fastLatest = await fast.next();
    fast.send({ type_url: TYPE_URL.clusterLoadAssignment, version_info: fastLatest.version_info, response_nonce: fastLatest.nonce, resource_names: ['big'] });
    // The slow proxy ACKs once and then stops reading; HTTP/2 flow control fills up behind it.
    slow.send({ type_url: TYPE_URL.clusterLoadAssignment, version_info: slowFirst.version_info, response_nonce: slowFirst.nonce, resource_names: ['big'] });
    await delay(50);
    slow.pause();

    const generations = 40;
    let lastVersion = '';
    for (let generation = 1; generation <= generations; generation++) {
      cache.setSnapshot('all', assignmentSnapshot(generation));
      lastVersion = cache.getSnapshot('all')!.types.get(TYPE_URL.clusterLoadAssignment)!.version;
      // The fast proxy ACKs every response and so receives every version, slow proxy or not.
      fastLatest = await fast.next(5000);
      fast.send({ type_url: TYPE_URL.clusterLoadAssignment, version_info: fastLatest.version_info, response_nonce: fastLatest.nonce, resource_names: ['big'] });
    }
    assert.equal(fastLatest.version_info, lastVersion, 'the fast proxy is not held back by the slow one');

    // The slow proxy, reading again and ACKing what it gets, ends on the latest version after
    // far fewer responses than there were versions.
    slow.resume();
    const received = [];
    for (;;) {
      const response = await slow.next(5000);
      received.push(response);
      slow.send({ type_url: TYPE_URL.clusterLoadAssignment, version_info: response.version_info, response_nonce: response.nonce, resource_names: ['big'] });
      if (response.version_info === lastVersion) break;
    }
    assert.ok(received.length <= 3, `the slow proxy got ${received.length} responses for ${generations} versions`);
  } finally {
    slow.close();
    fast.close();
  }
});

test('slow delta proxy gets only the latest version', async () => {
  cache.setSnapshot('all', assignmentSnapshot(0));
  const slow = new RawDeltaStream(address);
  const fast = new RawDeltaStream(address);
  const versionOf = (response: { resources: { version: string }[] }) => response.resources[0]?.version;
  try {
    for (const stream of [slow, fast]) stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names_subscribe: ['big'] });
    const slowFirst = await slow.next();
    let fastLatest = await fast.next();
    fast.send({ type_url: TYPE_URL.clusterLoadAssignment, response_nonce: fastLatest.nonce });
    slow.send({ type_url: TYPE_URL.clusterLoadAssignment, response_nonce: slowFirst.nonce });
    await delay(50);
    slow.pause();

    const generations = 40;
    let lastVersion = '';
    for (let generation = 1; generation <= generations; generation++) {
      cache.setSnapshot('all', assignmentSnapshot(generation));
      lastVersion = cache.getSnapshot('all')!.types.get(TYPE_URL.clusterLoadAssignment)!.resources.get('big')!.version;
      fastLatest = await fast.next(5000);
      fast.send({ type_url: TYPE_URL.clusterLoadAssignment, response_nonce: fastLatest.nonce });
    }
    assert.equal(versionOf(fastLatest), lastVersion, 'the fast proxy is not held back by the slow one');

    slow.resume();
    const received = [];
    for (;;) {
      const response = await slow.next(5000);
      received.push(response);
      slow.send({ type_url: TYPE_URL.clusterLoadAssignment, response_nonce: response.nonce });
      if (versionOf(response) === lastVersion) break;
    }
    assert.ok(received.length <= 3, `the slow proxy got ${received.length} responses for ${generations} versions`);
  } finally {
    slow.close();
    fast.close();
  }
});

test('server paces first responses of a storm', async () => {
  const pacedCache = new SnapshotCache(() => 'all');
  pacedCache.setSnapshot('all', assignmentSnapshot(0, 10));
  const paced = new XdsServer({ cache: pacedCache, logger: pino({ level: 'silent' }), admission: { ratePerSecond: 5, burst: 1 } });
  const pacedAddress = `127.0.0.1:${await paced.listen('127.0.0.1:0')}`;
  const streams = Array.from({ length: 4 }, () => new RawXdsStream(pacedAddress));
  try {
    const started = performance.now();
    for (const stream of streams) stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['big'] });
    const arrivals = await Promise.all(streams.map(async (stream) => {
      await stream.next(5000);
      return performance.now() - started;
    }));
    arrivals.sort((a, b) => a - b);
    assert.ok(arrivals[0]! < 1000, `the first stream waited ${Math.round(arrivals[0]!)} ms`);
    // One stream is served at once, and each further one waits for a token: 200 ms apart at 5 per second.
    assert.ok(arrivals[3]! - arrivals[0]! >= 500, `first responses at ${arrivals.map(Math.round).join(', ')} ms are not paced`);

  } finally {
    for (const stream of streams) stream.close();
    await paced.close(100);
  }
});
