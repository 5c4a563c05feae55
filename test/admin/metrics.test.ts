import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { typeLabelOf, XdsMetrics } from '../../admin';
import type { Service } from '../../discovery';
import type { StreamInfo } from '../../xds';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';

function stream(streamId: number, service = 'ads'): StreamInfo {
  return { streamId, service };
}

async function sampleValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, `metric ${name} is not registered`);
  const { values } = await metric.get();
  const sample = values.find((entry) =>
    Object.entries(labels).every(([key, value]) => entry.labels[key] === value),
  );
  return sample?.value;
}

function service(name: string, endpointCount: number): Service {
  const endpoints = Array.from({ length: endpointCount }, (_, index) => ({
    address: '127.0.0.1',
    port: 50000 + index,
    cluster: 'central-k8s',
    network: '',
    weight: 1,
    labels: {},
  }));
  return { name, port: 8080, protocol: 'grpc', endpoints };
}

describe('typeLabelOf', () => {
  const cases: [string, string][] = [
    [CLUSTER, 'Cluster'],
    [LISTENER, 'Listener'],
    ['type.googleapis.com/envoy.config.route.v3.RouteConfiguration', 'RouteConfiguration'],
    ['type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment', 'ClusterLoadAssignment'],
    ['type.googleapis.com/example.v1.Anything', 'other'],
    ['', 'other'],
  ];
  for (const [typeUrl, label] of cases) {
    test(`maps ${typeUrl || 'an empty type URL'} to ${label}`, () => {
      assert.equal(typeLabelOf(typeUrl), label);
    });
  }
});

describe('XdsMetrics', () => {
  test('counts open streams by service', async () => {
    const registry = new Registry();
    const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
    metrics.onStreamOpen(stream(1));
    metrics.onStreamOpen(stream(2));
    metrics.onStreamOpen(stream(3, 'clusters'));
    metrics.onStreamClose(stream(2));

    assert.equal(await sampleValue(registry, 'meridian_xds_connected_proxies', { service: 'ads' }), 1);
    assert.equal(await sampleValue(registry, 'meridian_xds_connected_proxies', { service: 'clusters' }), 1);
  });

  test('ignores a close without an open', async () => {
    const registry = new Registry();
    const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
    metrics.onStreamOpen(stream(1));
    metrics.onStreamClose(stream(1));
    metrics.onStreamClose(stream(1));
    metrics.onStreamClose(stream(7));

    assert.equal(await sampleValue(registry, 'meridian_xds_connected_proxies', { service: 'ads' }), 0);
  });

  test('counts pushes, bytes, ACKs and NACKs by type', async () => {
    const registry = new Registry();
    const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
    metrics.onStreamOpen(stream(1));
    metrics.onResponse(stream(1), CLUSTER, 'v1', 3, 120);
    metrics.onResponse(stream(1), CLUSTER, 'v2', 3, 80);
    metrics.onResponse(stream(1), LISTENER, 'v1', 1, 50);
    metrics.onAck(stream(1), CLUSTER, 'v1');
    metrics.onNack(stream(1), CLUSTER, 'v2', 'rejected');

    assert.equal(await sampleValue(registry, 'meridian_xds_pushes_total', { type: 'Cluster' }), 2);
    assert.equal(await sampleValue(registry, 'meridian_xds_pushes_total', { type: 'Listener' }), 1);
    assert.equal(await sampleValue(registry, 'meridian_xds_response_bytes_total', { type: 'Cluster' }), 200);
    assert.equal(await sampleValue(registry, 'meridian_xds_acks_total', { type: 'Cluster' }), 1);
    assert.equal(await sampleValue(registry, 'meridian_xds_nacks_total', { type: 'Cluster' }), 1);
  });

  test('never labels with a node id', async () => {
    const registry = new Registry();
    const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
    const withNode: StreamInfo = {
      streamId: 1,
      service: 'ads',
      node: { id: 'sidecar-1', cluster: 'checkout', userAgentName: 'envoy', metadata: {} },
    };
    metrics.onStreamOpen(withNode);
    metrics.onResponse(withNode, CLUSTER, 'v1', 1, 10);
    assert.doesNotMatch(await registry.metrics(), /sidecar-1/);
  });

  test('skips a negative byte count', async () => {
    const registry = new Registry();
    const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
    assert.doesNotThrow(() => metrics.onResponse(stream(1), CLUSTER, 'v1', 1, -5));
    assert.equal(await sampleValue(registry, 'meridian_xds_pushes_total', { type: 'Cluster' }), 1);
    assert.equal(await sampleValue(registry, 'meridian_xds_response_bytes_total', { type: 'Cluster' }), undefined);
  });

  test('sets registry gauges from a snapshot', async () => {
    const registry = new Registry();
    const metrics = new XdsMetrics({ registry, collectDefaultMetrics: false });
    metrics.observeRegistry({
      revision: 4,
      services: new Map([
        ['catalog.shop', service('catalog.shop', 2)],
        ['checkout.shop', service('checkout.shop', 3)],
      ]),
    });
    assert.equal(await sampleValue(registry, 'meridian_registry_services'), 2);
    assert.equal(await sampleValue(registry, 'meridian_registry_endpoints'), 5);
  });

  test('collects process metrics by default', async () => {
    const registry = new Registry();
    new XdsMetrics({ registry });
    const text = await registry.metrics();
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^nodejs_heap_size_used_bytes /m);
  });

  test('rejects a second instance on one registry', () => {
    const registry = new Registry();
    new XdsMetrics({ registry, collectDefaultMetrics: false });
    assert.throws(() => new XdsMetrics({ registry, collectDefaultMetrics: false }), /already been registered/);
  });
});
