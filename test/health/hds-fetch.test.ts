import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { fetchHealthCheckMethod, HdsServer, HealthAggregator, LatencyMatrix, streamHealthCheckMethod, type HealthTarget } from '../../health';
import { HEALTH_CHECK_DEFAULTS } from '../../policy';

type Message = Record<string, any>;

const TARGET: HealthTarget = {
  service: 'echo.test',
  clusterName: 'outbound|8080||echo.test',
  check: { ...HEALTH_CHECK_DEFAULTS, protocol: 'tcp' },
  endpoints: [
    { address: '10.0.0.1', port: 8080, locality: { region: 'r1', zone: 'a', subZone: '' } },
    { address: '10.0.0.2', port: 8080, locality: { region: 'r1', zone: 'b', subZone: '' } },
  ],
};

let server: grpc.Server;
let hds: HdsServer;
let aggregator: HealthAggregator;
let client: grpc.Client;

function nodeOf(id: string, zone: string): Message {
  return { id, locality: { region: 'r1', zone } };
}

function fetchHealthCheck(request: Message): Promise<{ error?: grpc.ServiceError; specifier?: Message }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      fetchHealthCheckMethod.path,
      fetchHealthCheckMethod.requestSerialize,
      fetchHealthCheckMethod.responseDeserialize,
      request,
      (error, specifier) => resolve(error ? { error } : { specifier }),
    );
  });
}

/** Endpoints of the service's cluster in a specifier, as `ADDRESS:PORT`, sorted. */
function checkedEndpoints(specifier: Message): string[] {
  const cluster = (specifier.cluster_health_checks ?? []).find((entry: Message) => entry.cluster_name === TARGET.clusterName);
  const endpoints: string[] = [];
  for (const group of cluster?.locality_endpoints ?? []) {
    for (const endpoint of group.endpoints ?? []) {
      endpoints.push(`${endpoint.address.socket_address.address}:${endpoint.address.socket_address.port_value}`);
    }
  }
  return endpoints.sort();
}

before(async () => {
  const logger = pino({ level: 'silent' });
  aggregator = new HealthAggregator({ logger });
  hds = new HdsServer({ aggregator, latency: new LatencyMatrix(), logger });
  server = new grpc.Server();
  const service = hds.service();
  server.addService(service.definition, service.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  hds.setTargets([TARGET]);
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
  client?.close();
  hds?.close();
  aggregator?.close();
  server?.forceShutdown();
});

test('fetch returns assignment of streaming prober', async () => {
  const stream = client.makeBidiStreamRequest(
    streamHealthCheckMethod.path,
    streamHealthCheckMethod.requestSerialize,
    streamHealthCheckMethod.responseDeserialize,
  );
  const received: Message[] = [];
  stream.on('data', (specifier: Message) => received.push(specifier));
  stream.on('error', () => {
    // Cancelled at the end of the test.
  });
  try {
    stream.write({ health_check_request: { node: nodeOf('prober-a', 'a') } });
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));

    const { error, specifier } = await fetchHealthCheck({ health_check_request: { node: nodeOf('prober-a', 'a') } });
    assert.equal(error, undefined);
    assert.deepEqual(specifier, received[0]);
    assert.deepEqual(checkedEndpoints(specifier!), ['10.0.0.1:8080', '10.0.0.2:8080']);

    // Another node receives the share it would get on connecting, and the stream keeps its assignment.
    const preview = await fetchHealthCheck({ health_check_request: { node: nodeOf('prober-b', 'b') } });
    assert.deepEqual(checkedEndpoints(preview.specifier!), ['10.0.0.1:8080', '10.0.0.2:8080']);
    assert.equal(preview.specifier!.interval.seconds, 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(received.length, 1);
    assert.deepEqual(hds.probers().map((prober) => prober.id), ['prober-a']);
  } finally {
    stream.cancel();
  }
});

test('fetch without node id is rejected', async () => {
  const { error } = await fetchHealthCheck({ health_check_request: { node: { locality: { region: 'r1', zone: 'a' } } } });
  assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(error!.details, /without node\.id; set a node id/);
});

test('fetch with results is rejected', async () => {
  const { error } = await fetchHealthCheck({ endpoint_health_response: { cluster_endpoints_health: [] } });
  assert.equal(error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(error!.details, /send results on StreamHealthCheck/);
});
