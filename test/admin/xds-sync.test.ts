import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import {
  buildAdminServer,
  closeAdminServer,
  createLogger,
  listenAdminServer,
  readinessOf,
  SyncStatusTracker,
  XdsMetrics,
  type AdminServer,
  type ProxySyncStatus,
} from '../../admin';
import { buildSnapshot, encodeResource, SnapshotCache, TYPE_URL, XdsServer, type EncodedResource, type TypeUrl } from '../../xds';
import { RawXdsStream } from '../helpers/ads-client';

const NODE = { id: 'sidecar-1', cluster: 'checkout', locality: { region: 'eu-west', zone: 'eu-west-1a' } };

function snapshotOf(clusterNames: string[]) {
  const clusters = clusterNames.map((name) =>
    encodeResource(TYPE_URL.cluster, name, { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }),
  );
  return buildSnapshot(new Map<TypeUrl, EncodedResource[]>([[TYPE_URL.cluster, clusters]]), 'test');
}

/** Polls the admin sync view until `check` accepts it, because the server handles a request after `send` returns. */
async function waitForSync(baseUrl: string, check: (proxies: ProxySyncStatus[]) => boolean): Promise<ProxySyncStatus[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const body = (await (await fetch(`${baseUrl}/debug/sync`)).json()) as { proxies: ProxySyncStatus[] };
    if (check(body.proxies)) return body.proxies;
    if (Date.now() > deadline) assert.fail(`sync view never matched: ${JSON.stringify(body.proxies)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('admin views of a real xDS stream', () => {
  const logger = createLogger({ level: 'silent' });
  const registry = new Registry();
  const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
  const tracker = new SyncStatusTracker();
  const cache = new SnapshotCache(() => 'all');
  let xdsServer: XdsServer;
  let xdsAddress: string;
  let admin: AdminServer;
  let baseUrl: string;

  before(async () => {
    xdsServer = new XdsServer({ cache, logger, hooks: [metrics, tracker] });
    xdsAddress = `127.0.0.1:${await xdsServer.listen('127.0.0.1:0')}`;
    admin = buildAdminServer({
      registry,
      syncStatus: tracker,
      readiness: () => readinessOf([{ name: 'static', synced: true }]),
      configSummary: () => ({}),
      logger,
    });
    const bound = await listenAdminServer(admin, '127.0.0.1:0');
    baseUrl = `http://${bound.host}:${bound.port}`;
  });

  after(async () => {
    await xdsServer.close(100);
    await closeAdminServer(admin);
  });

  test('ACK, NACK and close reach the views', async () => {
    cache.setSnapshot('all', snapshotOf(['checkout']));
    const stream = new RawXdsStream(xdsAddress);
    stream.send({ node: NODE, type_url: TYPE_URL.cluster });
    const first = await stream.next();
    stream.send({ type_url: TYPE_URL.cluster, version_info: first.version_info, response_nonce: first.nonce });

    let proxies = await waitForSync(baseUrl, (list) => list[0]?.types[0]?.state === 'synced');
    assert.equal(proxies.length, 1);
    assert.equal(proxies[0]!.nodeId, 'sidecar-1');
    assert.equal(proxies[0]!.locality?.region, 'eu-west');
    assert.equal(proxies[0]!.types[0]!.lastAckedVersion, first.version_info);

    cache.setSnapshot('all', snapshotOf(['checkout', 'payments']));
    const rejected = await stream.next();
    stream.send({
      type_url: TYPE_URL.cluster,
      version_info: first.version_info,
      response_nonce: rejected.nonce,
      error_detail: { code: 3, message: 'cluster payments: invalid' },
    });

    proxies = await waitForSync(baseUrl, (list) => list[0]?.types[0]?.state === 'nacked');
    const cluster = proxies[0]!.types[0]!;
    assert.equal(cluster.lastSentVersion, rejected.version_info);
    assert.equal(cluster.lastAckedVersion, first.version_info);
    assert.equal(cluster.lastNack?.version, rejected.version_info);
    assert.equal(cluster.lastNack?.message, 'cluster payments: invalid');

    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    assert.match(text, /^meridian_xds_connected_proxies\{service="ads"\} 1$/m);
    assert.match(text, /^meridian_xds_pushes_total\{type="Cluster"\} 2$/m);
    assert.match(text, /^meridian_xds_acks_total\{type="Cluster"\} 1$/m);
    assert.match(text, /^meridian_xds_nacks_total\{type="Cluster"\} 1$/m);

    stream.close();
    await waitForSync(baseUrl, (list) => list.length === 0);
    const closedText = await (await fetch(`${baseUrl}/metrics`)).text();
    assert.match(closedText, /^meridian_xds_connected_proxies\{service="ads"\} 0$/m);
  });
});
