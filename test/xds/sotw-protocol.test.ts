import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import {
  buildSnapshot,
  encodeResource,
  messageType,
  SnapshotCache,
  TYPE_URL,
  XdsServer,
  XDS_SERVICES,
  type EncodedResource,
  type StreamInfo,
  type TypeUrl,
  type XdsServerHooks,
} from '../../xds';
import { RawXdsStream } from '../helpers/ads-client';

const NODE = { id: 'sidecar-1', cluster: 'shop', locality: { region: 'eu-west', zone: 'eu-west-1a' } };

/** Builds a snapshot with the named clusters, one endpoint assignment each, and one listener and route. */
function snapshotOf(clusterNames: string[], endpointPort = 8080) {
  const clusters = clusterNames.map((name) =>
    encodeResource(TYPE_URL.cluster, name, { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }),
  );
  const assignments = clusterNames.map((name) =>
    encodeResource(TYPE_URL.clusterLoadAssignment, name, {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: endpointPort } } } }] }],
    }),
  );
  const listeners = [encodeResource(TYPE_URL.listener, 'outbound-8080', { name: 'outbound-8080' })];
  const routes = [encodeResource(TYPE_URL.routeConfiguration, '8080', { name: '8080' })];
  return buildSnapshot(
    new Map<TypeUrl, EncodedResource[]>([
      [TYPE_URL.cluster, clusters],
      [TYPE_URL.clusterLoadAssignment, assignments],
      [TYPE_URL.listener, listeners],
      [TYPE_URL.routeConfiguration, routes],
    ]),
    'test',
  );
}

/** Records every hook call, for assertions on ACK and NACK state. */
class RecordingHooks implements XdsServerHooks {
  acks: { typeUrl: string; version: string }[] = [];
  nacks: { typeUrl: string; version: string; message: string }[] = [];
  opened = 0;
  closed = 0;
  onStreamOpen(): void {
    this.opened++;
  }
  onStreamClose(): void {
    this.closed++;
  }
  onAck(_stream: StreamInfo, typeUrl: string, version: string): void {
    this.acks.push({ typeUrl, version });
  }
  onNack(_stream: StreamInfo, typeUrl: string, version: string, message: string): void {
    this.nacks.push({ typeUrl, version, message });
  }
}

function resourceNamesOf(response: { resources: { value: Uint8Array }[] }, decodeName: (value: Uint8Array) => string): string[] {
  return response.resources.map((resource) => decodeName(resource.value)).sort();
}

const clusterName = (value: Uint8Array): string => (messageType('envoy.config.cluster.v3.Cluster').decode(value) as unknown as { name: string }).name;
const assignmentName = (value: Uint8Array): string =>
  (messageType('envoy.config.endpoint.v3.ClusterLoadAssignment').decode(value) as unknown as { cluster_name: string }).cluster_name;

describe('state-of-the-world protocol', () => {
  let cache: SnapshotCache;
  let server: XdsServer;
  let address: string;
  let hooks: RecordingHooks;
  const streams: RawXdsStream[] = [];

  before(async () => {
    cache = new SnapshotCache(() => 'all');
    hooks = new RecordingHooks();
    server = new XdsServer({ cache, logger: pino({ level: 'silent' }), hooks: [hooks] });
    const port = await server.listen('127.0.0.1:0');
    address = `127.0.0.1:${port}`;
  });

  after(async () => {
    for (const stream of streams) stream.close();
    await server.close(100);
  });

  beforeEach(() => {
    cache.setSnapshot('all', snapshotOf(['checkout', 'catalog']));
    hooks.acks = [];
    hooks.nacks = [];
  });

  function open(path?: string): RawXdsStream {
    const stream = new RawXdsStream(address, path);
    streams.push(stream);
    return stream;
  }

  test('wildcard cluster request gets every cluster', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.cluster });
    const response = await stream.next();
    assert.equal(response.type_url, TYPE_URL.cluster);
    assert.notEqual(response.version_info, '');
    assert.notEqual(response.nonce, '');
    assert.deepEqual(resourceNamesOf(response, clusterName), ['catalog', 'checkout']);
    stream.close();
  });

  test('ack is recorded and triggers no response', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.cluster });
    const response = await stream.next();
    stream.send({ type_url: TYPE_URL.cluster, version_info: response.version_info, response_nonce: response.nonce });
    assert.deepEqual(await stream.collectFor(200), []);
    assert.deepEqual(hooks.acks, [{ typeUrl: TYPE_URL.cluster, version: response.version_info }]);
    assert.deepEqual(hooks.nacks, []);
    stream.close();
  });

  test('nack is recorded and the rejected version is not resent', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.cluster });
    const first = await stream.next();
    stream.send({ type_url: TYPE_URL.cluster, version_info: first.version_info, response_nonce: first.nonce });
    await stream.collectFor(50);

    cache.setSnapshot('all', snapshotOf(['checkout', 'catalog', 'payments']));
    const rejected = await stream.next();
    assert.notEqual(rejected.version_info, first.version_info);
    // Envoy NACKs with the version it still runs and the nonce of the rejected response.
    stream.send({
      type_url: TYPE_URL.cluster,
      version_info: first.version_info,
      response_nonce: rejected.nonce,
      error_detail: { code: 3, message: 'cluster payments: invalid' },
    });
    assert.deepEqual(await stream.collectFor(300), [], 'the rejected version must not be sent again');
    assert.deepEqual(hooks.nacks, [{ typeUrl: TYPE_URL.cluster, version: rejected.version_info, message: 'cluster payments: invalid' }]);
    assert.equal(hooks.acks.length, 1, 'a NACK is not counted as an ACK');

    cache.setSnapshot('all', snapshotOf(['checkout', 'catalog']));
    const fixed = await stream.next();
    assert.equal(fixed.version_info, first.version_info, 'the next good version reaches the proxy on the same stream');
    stream.close();
  });

  test('stale nonce does not change ack state', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.cluster });
    const first = await stream.next();
    stream.send({ type_url: TYPE_URL.cluster, version_info: first.version_info, response_nonce: first.nonce });
    await stream.collectFor(50);
    cache.setSnapshot('all', snapshotOf(['checkout']));
    const second = await stream.next();

    // A late NACK that carries the first nonce must be ignored.
    stream.send({
      type_url: TYPE_URL.cluster,
      version_info: first.version_info,
      response_nonce: first.nonce,
      error_detail: { code: 3, message: 'late' },
    });
    assert.deepEqual(await stream.collectFor(200), []);
    assert.deepEqual(hooks.nacks, []);

    stream.send({ type_url: TYPE_URL.cluster, version_info: second.version_info, response_nonce: second.nonce });
    await stream.collectFor(100);
    assert.deepEqual(hooks.acks.map((ack) => ack.version), [first.version_info, second.version_info]);
    stream.close();
  });

  test('endpoint subscription follows the requested names', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['checkout'] });
    const first = await stream.next();
    assert.deepEqual(resourceNamesOf(first, assignmentName), ['checkout']);

    stream.send({
      type_url: TYPE_URL.clusterLoadAssignment,
      version_info: first.version_info,
      response_nonce: first.nonce,
      resource_names: ['checkout', 'catalog'],
    });
    const second = await stream.next();
    assert.deepEqual(resourceNamesOf(second, assignmentName), ['catalog', 'checkout']);
    assert.equal(second.version_info, first.version_info, 'same content, same version');

    stream.send({
      type_url: TYPE_URL.clusterLoadAssignment,
      version_info: second.version_info,
      response_nonce: second.nonce,
      resource_names: ['catalog'],
    });
    const third = await stream.next();
    assert.deepEqual(resourceNamesOf(third, assignmentName), ['catalog']);
    stream.close();
  });

  test('unchanged view sends nothing', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['checkout'] });
    const first = await stream.next();
    stream.send({
      type_url: TYPE_URL.clusterLoadAssignment,
      version_info: first.version_info,
      response_nonce: first.nonce,
      resource_names: ['checkout'],
    });
    // A new snapshot with the same content has the same versions, so the proxy's view is unchanged.
    cache.setSnapshot('all', snapshotOf(['checkout', 'catalog']));
    assert.deepEqual(await stream.collectFor(200), []);
    stream.close();
  });

  test('endpoint change reaches a subscribed stream', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['checkout'] });
    const first = await stream.next();
    stream.send({ type_url: TYPE_URL.clusterLoadAssignment, version_info: first.version_info, response_nonce: first.nonce, resource_names: ['checkout'] });
    cache.setSnapshot('all', snapshotOf(['checkout', 'catalog'], 9090));
    const second = await stream.next();
    assert.notEqual(second.version_info, first.version_info);
    const assignment = messageType('envoy.config.endpoint.v3.ClusterLoadAssignment').toObject(
      messageType('envoy.config.endpoint.v3.ClusterLoadAssignment').decode(second.resources[0]!.value),
    ) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { port_value: number } } } }[] }[] };
    assert.equal(assignment.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value, 9090);
    stream.close();
  });

  test('route request gets only the named routes', async () => {
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.routeConfiguration, resource_names: ['8080', 'missing'] });
    const response = await stream.next();
    assert.equal(response.resources.length, 1);
    stream.close();
  });

  test('first request without node is rejected', async () => {
    const stream = open();
    stream.send({ type_url: TYPE_URL.cluster });
    const status = await stream.ended();
    assert.equal(status.code, 3);
    assert.match(status.details, /must carry node/);
  });

  test('ads request without type_url is rejected', async () => {
    const stream = open();
    stream.send({ node: NODE });
    const status = await stream.ended();
    assert.equal(status.code, 3);
    assert.match(status.details, /type_url is missing/);
  });

  test('per-type cluster service serves clusters', async () => {
    const clustersPath = XDS_SERVICES.find((service) => service.service === 'clusters')!.path;
    const stream = open(clustersPath);
    stream.send({ node: NODE });
    const response = await stream.next();
    assert.equal(response.type_url, TYPE_URL.cluster);
    assert.deepEqual(resourceNamesOf(response, clusterName), ['catalog', 'checkout']);
    stream.close();
  });

  test('reconnecting proxy with current version gets nothing', async () => {
    const first = open();
    first.send({ node: NODE, type_url: TYPE_URL.cluster });
    const response = await first.next();
    first.close();

    const second = open();
    second.send({ node: NODE, type_url: TYPE_URL.cluster, version_info: response.version_info });
    assert.deepEqual(await second.collectFor(200), []);
    second.close();
  });

  test('stream waits for a snapshot before it answers', async () => {
    cache.clearSnapshot('all');
    const stream = open();
    stream.send({ node: NODE, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['checkout'] });
    assert.deepEqual(await stream.collectFor(150), [], 'no empty response before the configuration exists');
    cache.setSnapshot('all', snapshotOf(['checkout']));
    const response = await stream.next();
    assert.equal(response.resources.length, 1);
    stream.close();
  });
});
