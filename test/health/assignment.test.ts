import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignEndpoints, zoneKeyOf, type HealthTarget, type ProberInfo } from '../../health';
import { HEALTH_CHECK_DEFAULTS } from '../../policy';

const CHECK = { ...HEALTH_CHECK_DEFAULTS, protocol: 'tcp' as const, expectedStatuses: [200] };

function locality(region: string, zone: string) {
  return { region, zone, subZone: '' };
}

function target(endpoints: [string, string][]): HealthTarget {
  return {
    service: 'svc',
    clusterName: 'svc',
    check: CHECK,
    endpoints: endpoints.map(([region, zone], index) => ({ address: '10.0.0.1', port: 1000 + index, locality: locality(region, zone) })),
  };
}

function proberOf(id: string, region: string, zone: string): ProberInfo {
  return { id, locality: locality(region, zone) };
}

/** Returns the localities of the probers of each endpoint, by port. */
function proberZonesByPort(assignments: Map<string, { endpoints: { port: number }[] }[]>, probers: ProberInfo[]): Map<number, string[]> {
  const byPort = new Map<number, string[]>();
  for (const [id, assigned] of assignments) {
    const zone = zoneKeyOf(probers.find((prober) => prober.id === id)!.locality);
    for (const { endpoints } of assigned) {
      for (const endpoint of endpoints) byPort.set(endpoint.port, [...(byPort.get(endpoint.port) ?? []), zone].sort());
    }
  }
  return byPort;
}

test('assignment: own locality and one other', () => {
  const probers = [proberOf('a1', 'r1', 'a'), proberOf('a2', 'r1', 'a'), proberOf('b1', 'r1', 'b'), proberOf('c1', 'r2', 'c')];
  const assignments = assignEndpoints([target([['r1', 'a'], ['r1', 'b'], ['r2', 'c']])], probers);
  const zones = proberZonesByPort(assignments, probers);
  for (const [port, own] of [[1000, 'r1/a'], [1001, 'r1/b'], [1002, 'r2/c']] as const) {
    const list = zones.get(port)!;
    assert.equal(list.length, 2, `endpoint ${port} has two probers`);
    assert.ok(list.includes(own), `endpoint ${port} is checked from ${own}`);
    assert.ok(list.some((zone) => zone !== own), `endpoint ${port} is checked from another locality`);
  }
});

test('assignment: no own prober takes two others', () => {
  const probers = [proberOf('b1', 'r1', 'b'), proberOf('c1', 'r2', 'c')];
  const zones = proberZonesByPort(assignEndpoints([target([['r3', 'x']])], probers), probers);
  assert.deepEqual(zones.get(1000), ['r1/b', 'r2/c']);
});

test('assignment: joining prober moves few endpoints', () => {
  const endpoints = Array.from({ length: 40 }, (_, index): [string, string] => ['r1', index % 2 === 0 ? 'a' : 'b']);
  const before = [proberOf('a1', 'r1', 'a'), proberOf('b1', 'r1', 'b'), proberOf('b2', 'r1', 'b')];
  const after = [...before, proberOf('a2', 'r1', 'a')];
  const ownerOf = (probers: ProberInfo[]) => {
    const owners = new Map<string, number>();
    for (const [id, assigned] of assignEndpoints([target(endpoints)], probers)) {
      for (const endpoint of assigned[0]?.endpoints ?? []) owners.set(`${id}|${endpoint.port}`, endpoint.port);
    }
    return new Set(owners.keys());
  };
  const previous = ownerOf(before);
  const next = ownerOf(after);
  const lost = [...previous].filter((pair) => !next.has(pair));
  // Only pairs handed to the new prober disappear; every other pair stays.
  assert.ok(lost.length > 0, 'the new prober takes some pairs');
  assert.ok(lost.length < 40, `expected fewer than 40 pairs to move, got ${lost.length}`);
  assert.ok([...next].filter((pair) => !previous.has(pair)).every((pair) => pair.startsWith('a2|')));
});

test('assignment: leaving prober is replaced', () => {
  const probers = [proberOf('a1', 'r1', 'a'), proberOf('b1', 'r1', 'b'), proberOf('c1', 'r2', 'c')];
  const remaining = probers.filter((prober) => prober.id !== 'b1');
  const zones = proberZonesByPort(assignEndpoints([target([['r1', 'a']])], remaining), remaining);
  assert.deepEqual(zones.get(1000), ['r1/a', 'r2/c']);
});
