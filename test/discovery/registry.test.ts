import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry, type DiscoverySource, type Service } from '../../discovery';
import { memoryLogger } from '../config/fixtures';

/** A source whose services and sync state the test sets directly. */
class FakeSource implements DiscoverySource {
  synced = false;
  private current: Service[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly name: string) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  services(): readonly Service[] {
    return this.current;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(services: Service[]): void {
    this.current = services;
    this.synced = true;
    for (const listener of this.listeners) listener();
  }
}

function service(name: string, port = 80): Service {
  return { name, port, protocol: 'http', endpoints: [{ address: '127.0.0.1', port, cluster: 'c1', network: '', weight: 1, labels: {} }] };
}

describe('Registry', () => {
  test('merges sources sorted by name', () => {
    const first = new FakeSource('first');
    const second = new FakeSource('second');
    const registry = new Registry([first, second], { logger: memoryLogger().logger });
    first.publish([service('zeta.shop')]);
    second.publish([service('alpha.shop')]);
    assert.deepEqual([...registry.snapshot().services.keys()], ['alpha.shop', 'zeta.shop']);
  });

  test('synced waits for every source', () => {
    const first = new FakeSource('first');
    const second = new FakeSource('second');
    const registry = new Registry([first, second], { logger: memoryLogger().logger });
    first.publish([]);
    assert.equal(registry.synced(), false);
    second.publish([]);
    assert.equal(registry.synced(), true);
  });

  test('revision increases on each change only', () => {
    const source = new FakeSource('only');
    const registry = new Registry([source], { logger: memoryLogger().logger });
    let notified = 0;
    registry.onChange(() => notified++);
    source.publish([service('a.shop')]);
    const firstRevision = registry.snapshot().revision;
    source.publish([service('a.shop')]);
    assert.equal(registry.snapshot().revision, firstRevision);
    source.publish([service('a.shop', 81)]);
    assert.ok(registry.snapshot().revision > firstRevision);
    assert.equal(notified, 2);
  });

  test('first source wins a conflict', () => {
    const first = new FakeSource('first');
    const second = new FakeSource('second');
    const { logger, records } = memoryLogger();
    const registry = new Registry([first, second], { logger });
    second.publish([service('a.shop', 90)]);
    first.publish([service('a.shop', 80)]);
    second.publish([service('a.shop', 91)]);
    assert.equal(registry.snapshot().services.get('a.shop')?.port, 80);
    assert.deepEqual(registry.conflicts(), [{ service: 'a.shop', usedSource: 'first', ignoredSource: 'second' }]);
    const logged = records.filter((record) => record.msg === 'service defined by two sources');
    assert.equal(logged.length, 1);
    assert.equal(logged[0].code, 'MERIDIAN_DISCOVERY_DUPLICATE_SERVICE');
  });

  test('ignores unsynced sources', () => {
    const first = new FakeSource('first');
    const registry = new Registry([first], { logger: memoryLogger().logger });
    assert.equal(registry.snapshot().services.size, 0);
    assert.equal(registry.synced(), false);
  });

  test('rejects repeated source names', () => {
    assert.throws(() => new Registry([new FakeSource('x'), new FakeSource('x')], { logger: memoryLogger().logger }), /"x" is used twice/);
  });
});
