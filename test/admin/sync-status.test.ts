import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncStatusTracker } from '../../admin';
import type { StreamInfo } from '../../xds';

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ENDPOINTS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

function stream(streamId: number, nodeId?: string): StreamInfo {
  if (nodeId === undefined) return { streamId, service: 'ads' };
  return {
    streamId,
    service: 'ads',
    node: {
      id: nodeId,
      cluster: 'checkout',
      locality: { region: 'eu-west', zone: 'eu-west-1a', subZone: '' },
      userAgentName: 'envoy',
      metadata: {},
    },
  };
}

/** Returns a clock that moves one second forward on every call. */
function steppingClock(): () => Date {
  let seconds = 0;
  return () => new Date(Date.UTC(2024, 0, 1, 0, 0, seconds++));
}

function typeStatus(tracker: SyncStatusTracker, streamId: number, typeUrl: string) {
  const proxy = tracker.syncStatus().find((entry) => entry.streamId === streamId);
  assert.ok(proxy, `stream ${streamId} is not listed`);
  const status = proxy.types.find((entry) => entry.typeUrl === typeUrl);
  assert.ok(status, `type ${typeUrl} is not listed for stream ${streamId}`);
  return status;
}

describe('SyncStatusTracker', () => {
  test('lists an opened stream without types', () => {
    const tracker = new SyncStatusTracker({ now: steppingClock() });
    tracker.onStreamOpen(stream(1));
    assert.deepEqual(tracker.syncStatus(), [
      {
        streamId: 1,
        service: 'ads',
        nodeId: null,
        nodeCluster: null,
        locality: null,
        kind: null,
        connectedTime: '2024-01-01T00:00:00.000Z',
        types: [],
      },
    ]);
  });

  test('takes the node from a later hook', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    const [proxy] = tracker.syncStatus();
    assert.equal(proxy?.nodeId, 'sidecar-1');
    assert.equal(proxy?.nodeCluster, 'checkout');
    assert.deepEqual(proxy?.locality, { region: 'eu-west', zone: 'eu-west-1a', subZone: '' });
  });

  test('kind comes from kindOf', () => {
    const tracker = new SyncStatusTracker({ kindOf: (node) => `${node.userAgentName}-kind` });
    tracker.onStreamOpen(stream(1));
    assert.equal(tracker.syncStatus()[0]?.kind, null, 'no node before the first request');
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    assert.equal(tracker.syncStatus()[0]?.kind, 'envoy-kind');
  });

  test('kind is null without kindOf', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    assert.equal(tracker.syncStatus()[0]?.kind, null);
  });

  test('response then ACK is synced', () => {
    const tracker = new SyncStatusTracker({ now: steppingClock() });
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    assert.equal(typeStatus(tracker, 1, CLUSTER).state, 'pending');

    tracker.onAck(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    assert.deepEqual(typeStatus(tracker, 1, CLUSTER), {
      typeUrl: CLUSTER,
      state: 'synced',
      lastSentVersion: 'v1',
      lastSentTime: '2024-01-01T00:00:01.000Z',
      lastAckedVersion: 'v1',
      lastAckedTime: '2024-01-01T00:00:02.000Z',
      lastNack: null,
    });
  });

  test('NACK keeps the last ACKed version', () => {
    const tracker = new SyncStatusTracker({ now: steppingClock() });
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    tracker.onAck(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v2');
    tracker.onNack(stream(1, 'sidecar-1'), CLUSTER, 'v2', 'cluster checkout: invalid lb_policy');

    const status = typeStatus(tracker, 1, CLUSTER);
    assert.equal(status.state, 'nacked');
    assert.equal(status.lastSentVersion, 'v2');
    assert.equal(status.lastAckedVersion, 'v1');
    assert.deepEqual(status.lastNack, {
      version: 'v2',
      message: 'cluster checkout: invalid lb_policy',
      time: '2024-01-01T00:00:04.000Z',
    });
  });

  test('ACK after NACK keeps the NACK record', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v2');
    tracker.onNack(stream(1, 'sidecar-1'), CLUSTER, 'v2', 'rejected');
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v3');
    tracker.onAck(stream(1, 'sidecar-1'), CLUSTER, 'v3');

    const status = typeStatus(tracker, 1, CLUSTER);
    assert.equal(status.state, 'synced');
    assert.equal(status.lastAckedVersion, 'v3');
    assert.equal(status.lastNack?.version, 'v2');
  });

  test('ACK of an older version stays pending', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v2');
    tracker.onAck(stream(1, 'sidecar-1'), CLUSTER, 'v1');

    const status = typeStatus(tracker, 1, CLUSTER);
    assert.equal(status.state, 'pending');
    assert.equal(status.lastAckedVersion, 'v1');
  });

  test('NACK of an older version keeps the state', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v2');
    tracker.onNack(stream(1, 'sidecar-1'), CLUSTER, 'v1', 'rejected');

    const status = typeStatus(tracker, 1, CLUSTER);
    assert.equal(status.state, 'pending');
    assert.equal(status.lastNack?.version, 'v1');
  });

  test('keeps types apart', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), ENDPOINTS, 'e1');
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'c1');
    tracker.onAck(stream(1, 'sidecar-1'), CLUSTER, 'c1');

    const [proxy] = tracker.syncStatus();
    assert.deepEqual(
      proxy?.types.map((entry) => [entry.typeUrl, entry.state]),
      [
        [CLUSTER, 'synced'],
        [ENDPOINTS, 'pending'],
      ],
    );
  });

  test('removes a stream on close', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onStreamOpen(stream(2, 'sidecar-2'));
    tracker.onStreamClose(stream(1, 'sidecar-1'));
    assert.deepEqual(
      tracker.syncStatus().map((proxy) => proxy.nodeId),
      ['sidecar-2'],
    );
  });

  test('ignores hooks after close', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onStreamClose(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    tracker.onAck(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    tracker.onNack(stream(1, 'sidecar-1'), CLUSTER, 'v1', 'rejected');
    assert.deepEqual(tracker.syncStatus(), []);
  });

  test('lists streams by id', () => {
    const tracker = new SyncStatusTracker();
    for (const id of [3, 1, 2]) tracker.onStreamOpen(stream(id));
    assert.deepEqual(
      tracker.syncStatus().map((proxy) => proxy.streamId),
      [1, 2, 3],
    );
  });

  test('returns copies', () => {
    const tracker = new SyncStatusTracker();
    tracker.onStreamOpen(stream(1, 'sidecar-1'));
    tracker.onResponse(stream(1, 'sidecar-1'), CLUSTER, 'v1');
    const first = tracker.syncStatus();
    first[0]!.types[0]!.state = 'nacked';
    assert.equal(typeStatus(tracker, 1, CLUSTER).state, 'pending');
  });
});
