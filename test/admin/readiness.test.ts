import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readinessOf } from '../../admin';

describe('readinessOf', () => {
  test('ready when every source synced', () => {
    assert.deepEqual(readinessOf([{ name: 'static', synced: true }]), {
      ready: true,
      sources: [{ name: 'static', synced: true }],
    });
  });

  test('names the sources still syncing', () => {
    const readiness = readinessOf([
      { name: 'static', synced: false },
      { name: 'edge-tokyo-site', synced: false },
      { name: 'central-k8s', synced: true },
    ]);
    assert.equal(readiness.ready, false);
    assert.equal(readiness.reason, 'waiting for discovery sources to sync: static, edge-tokyo-site');
  });

  test('not ready without sources', () => {
    assert.equal(readinessOf([]).ready, false);
  });
});
