import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import {
  ADMIN_ERROR_CODES,
  buildAdminServer,
  closeAdminServer,
  createLogger,
  listenAdminServer,
  readinessOf,
  SyncStatusTracker,
  XdsMetrics,
  type AdminServer,
  type Readiness,
} from '../../admin';
import type { StreamInfo } from '../../xds';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

const sidecar: StreamInfo = {
  streamId: 1,
  service: 'ads',
  node: {
    id: 'sidecar-1',
    cluster: 'checkout',
    locality: { region: 'eu-west', zone: 'eu-west-1a', subZone: '' },
    userAgentName: 'envoy',
    metadata: {},
  },
};

/** A running admin server with hooks and providers that the tests drive. */
interface Harness {
  server: AdminServer;
  baseUrl: string;
  metrics: XdsMetrics;
  tracker: SyncStatusTracker;
  setReadiness(readiness: Readiness): void;
  setConfigSummary(summary: () => unknown): void;
  logLines: Record<string, unknown>[];
}

async function startHarness(): Promise<Harness> {
  const registry = new Registry();
  const metrics = new XdsMetrics({ registry });
  const tracker = new SyncStatusTracker();
  let readiness = readinessOf([{ name: 'static', synced: false }]);
  let configSummary: () => unknown = () => ({ services: [], endpoints: 0, policyRevision: 'r0' });

  const logLines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });

  const server = buildAdminServer({
    registry,
    syncStatus: tracker,
    readiness: () => readiness,
    configSummary: () => configSummary(),
    logger,
  });
  const { host, port } = await listenAdminServer(server, '127.0.0.1:0');
  return {
    server,
    baseUrl: `http://${host}:${port}`,
    metrics,
    tracker,
    setReadiness: (next) => { readiness = next; },
    setConfigSummary: (next) => { configSummary = next; },
    logLines,
  };
}

describe('admin server', () => {
  let harness: Harness;

  before(async () => {
    harness = await startHarness();
  });

  after(async () => {
    await closeAdminServer(harness.server);
  });

  test('listens on a loopback port', () => {
    assert.match(harness.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(harness.baseUrl, /:0$/);
  });

  test('healthz returns ok', async () => {
    const response = await fetch(`${harness.baseUrl}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  test('readyz is 503 before sync', async () => {
    harness.setReadiness(readinessOf([
      { name: 'static', synced: true },
      { name: 'central-k8s', synced: false },
    ]));
    const response = await fetch(`${harness.baseUrl}/readyz`);
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), {
      ready: false,
      sources: [
        { name: 'static', synced: true },
        { name: 'central-k8s', synced: false },
      ],
      reason: 'waiting for discovery sources to sync: central-k8s',
    });
  });

  test('readyz is 200 after sync', async () => {
    harness.setReadiness(readinessOf([{ name: 'static', synced: true }]));
    const response = await fetch(`${harness.baseUrl}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ready: true, sources: [{ name: 'static', synced: true }] });
  });

  test('metrics lists the xDS metrics', async () => {
    harness.metrics.onStreamOpen(sidecar);
    harness.metrics.onResponse(sidecar, CLUSTER, 'v1', 2, 300);
    harness.metrics.onAck(sidecar, CLUSTER, 'v1');
    harness.metrics.onNack(sidecar, CLUSTER, 'v2', 'rejected');
    harness.metrics.observeRegistry({ revision: 1, services: new Map() });

    const response = await fetch(`${harness.baseUrl}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /^meridian_xds_connected_proxies\{service="ads"\} 1$/m);
    assert.match(text, /^meridian_xds_pushes_total\{type="Cluster"\} 1$/m);
    assert.match(text, /^meridian_xds_acks_total\{type="Cluster"\} 1$/m);
    assert.match(text, /^meridian_xds_nacks_total\{type="Cluster"\} 1$/m);
    assert.match(text, /^meridian_xds_response_bytes_total\{type="Cluster"\} 300$/m);
    assert.match(text, /^meridian_registry_services 0$/m);
    assert.match(text, /^meridian_registry_endpoints 0$/m);
    assert.match(text, /^process_cpu_seconds_total /m);
  });

  test('debug sync shows ACK and NACK', async () => {
    harness.tracker.onStreamOpen(sidecar);
    harness.tracker.onResponse(sidecar, CLUSTER, 'v1');
    harness.tracker.onAck(sidecar, CLUSTER, 'v1');
    harness.tracker.onResponse(sidecar, CLUSTER, 'v2');
    harness.tracker.onNack(sidecar, CLUSTER, 'v2', 'cluster checkout: invalid lb_policy');

    const response = await fetch(`${harness.baseUrl}/debug/sync`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { proxies: Array<Record<string, any>> };
    assert.equal(body.proxies.length, 1);
    const proxy = body.proxies[0]!;
    assert.equal(proxy.nodeId, 'sidecar-1');
    assert.deepEqual(proxy.locality, { region: 'eu-west', zone: 'eu-west-1a', subZone: '' });
    const cluster = proxy.types[0];
    assert.equal(cluster.typeUrl, CLUSTER);
    assert.equal(cluster.state, 'nacked');
    assert.equal(cluster.lastSentVersion, 'v2');
    assert.equal(cluster.lastAckedVersion, 'v1');
    assert.equal(cluster.lastNack.version, 'v2');
    assert.equal(cluster.lastNack.message, 'cluster checkout: invalid lb_policy');
    assert.match(cluster.lastNack.time, /^\d{4}-\d{2}-\d{2}T/);
  });

  test('debug sync filters by node', async () => {
    const other = await fetch(`${harness.baseUrl}/debug/sync?node=sidecar-9`);
    assert.deepEqual(await other.json(), { proxies: [] });

    const matching = (await (await fetch(`${harness.baseUrl}/debug/sync?node=sidecar-1`)).json()) as { proxies: unknown[] };
    assert.equal(matching.proxies.length, 1);
  });

  test('debug config passes the summary through', async () => {
    const summary = { services: ['checkout.shop'], endpoints: 3, policyRevision: 'sha256:abc' };
    harness.setConfigSummary(() => summary);
    const response = await fetch(`${harness.baseUrl}/debug/config`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), summary);
  });

  test('provider failure is a JSON 500', async () => {
    harness.setConfigSummary(() => {
      throw new Error('snapshot not built');
    });
    const response = await fetch(`${harness.baseUrl}/debug/config`);
    assert.equal(response.status, 500);
    const body = (await response.json()) as { code: string; message: string };
    assert.equal(body.code, ADMIN_ERROR_CODES.providerFailed);
    assert.match(body.message, /configuration summary provider failed: snapshot not built/);

    const logged = harness.logLines.find((line) => line.msg === 'admin request failed');
    assert.ok(logged, 'the failure was not logged');
    assert.equal(logged.component, 'admin');
    assert.equal(logged.level, 'error');
  });

  test('unknown route is a JSON 404', async () => {
    const response = await fetch(`${harness.baseUrl}/debug/nothing`);
    assert.equal(response.status, 404);
    const body = (await response.json()) as { code: string; message: string };
    assert.equal(body.code, ADMIN_ERROR_CODES.routeNotFound);
    assert.match(body.message, /GET \/debug\/nothing/);
    assert.match(body.message, /GET \/healthz/);
    assert.match(body.message, /GET \/debug\/sync/, 'the message lists the routes this server serves');
    assert.doesNotMatch(body.message, /HEAD /);
  });

  test('wrong method is a JSON 404', async () => {
    const response = await fetch(`${harness.baseUrl}/healthz`, { method: 'POST' });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { code: string }).code, ADMIN_ERROR_CODES.routeNotFound);
  });

  test('logs no line per request', () => {
    assert.equal(harness.logLines.filter((line) => line.msg === 'request completed').length, 0);
  });
});

describe('admin server without a logger', () => {
  test('serves healthz', async () => {
    const server = buildAdminServer({
      registry: new Registry(),
      syncStatus: new SyncStatusTracker(),
      readiness: () => readinessOf([]),
      configSummary: () => ({}),
    });
    const { host, port } = await listenAdminServer(server, { host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(`http://${host}:${port}/readyz`);
      assert.equal(response.status, 503);
      assert.deepEqual(await response.json(), { ready: false, sources: [], reason: 'no discovery source is configured' });
    } finally {
      await closeAdminServer(server);
    }
  });
});
