import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoint, Locality } from '../../discovery';
import { assignLocalityPriorities, OWN_SUB_ZONE_WEIGHT_FACTOR, type LocalityLbSettings } from '../../policy';
import { endpoint, locality } from './fixtures';

const ENABLED: LocalityLbSettings = { enabled: true, failover: [] };

interface PriorityCase {
  name: string;
  client: Locality | undefined;
  endpoints: Endpoint[];
  settings?: LocalityLbSettings;
  /** Expected priority of each endpoint, by address. */
  expected: Record<string, number>;
}

const CASES: PriorityCase[] = [
  {
    name: 'own zone, own region, other region',
    client: locality('r1', 'a'),
    endpoints: [endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r1', 'b')), endpoint('10.0.0.3', locality('r2', 'c'))],
    expected: { '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.3': 2 },
  },
  {
    name: 'failover order before names',
    client: locality('r1', 'a'),
    settings: { enabled: true, failover: [{ from: 'r1', to: ['r3', 'r2'] }] },
    endpoints: [endpoint('10.0.0.2', locality('r2', 'x')), endpoint('10.0.0.3', locality('r3', 'y')), endpoint('10.0.0.1', locality('r1', 'a'))],
    expected: { '10.0.0.1': 0, '10.0.0.3': 1, '10.0.0.2': 2 },
  },
  {
    name: 'unlisted regions after listed, by name',
    client: locality('r1', 'a'),
    settings: { enabled: true, failover: [{ from: 'r1', to: ['r9'] }, { from: 'r2', to: ['r1'] }] },
    endpoints: [
      endpoint('10.0.0.4', locality('r4', 'x')),
      endpoint('10.0.0.2', locality('r2', 'x')),
      endpoint('10.0.0.9', locality('r9', 'x')),
      endpoint('10.0.0.1', locality('r1', 'a')),
    ],
    expected: { '10.0.0.1': 0, '10.0.0.9': 1, '10.0.0.2': 2, '10.0.0.4': 3 },
  },
  {
    name: 'unknown locality last',
    client: locality('r1', 'a'),
    endpoints: [
      endpoint('10.0.0.9', undefined),
      endpoint('10.0.0.8', locality('', 'z')),
      endpoint('10.0.0.1', locality('r1', 'a')),
      endpoint('10.0.0.2', locality('r2', 'a')),
    ],
    expected: { '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.9': 2, '10.0.0.8': 2 },
  },
  {
    name: 'priorities dense without own zone',
    client: locality('r1', 'a'),
    endpoints: [endpoint('10.0.0.3', locality('r3', 'x')), endpoint('10.0.0.2', locality('r2', 'x'))],
    expected: { '10.0.0.2': 0, '10.0.0.3': 1 },
  },
  {
    name: 'disabled locality lb',
    client: locality('r1', 'a'),
    settings: { enabled: false, failover: [{ from: 'r1', to: ['r2'] }] },
    endpoints: [endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r2', 'x')), endpoint('10.0.0.9', undefined)],
    expected: { '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.9': 0 },
  },
  {
    name: 'client without locality',
    client: undefined,
    endpoints: [endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r2', 'x'))],
    expected: { '10.0.0.1': 0, '10.0.0.2': 0 },
  },
  {
    name: 'client without zone',
    client: locality('r1'),
    endpoints: [endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r1', 'b')), endpoint('10.0.0.3', locality('r2', 'x'))],
    expected: { '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 1 },
  },
  {
    name: 'failover rule naming own region',
    client: locality('r1', 'a'),
    settings: { enabled: true, failover: [{ from: 'r1', to: ['r1', 'r2', 'r2'] }] },
    endpoints: [endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r2', 'x'))],
    expected: { '10.0.0.1': 0, '10.0.0.2': 1 },
  },
];

function priorityByAddress(client: Locality | undefined, endpoints: Endpoint[], settings: LocalityLbSettings): Record<string, number> {
  const result: Record<string, number> = {};
  for (const group of assignLocalityPriorities(endpoints, client, settings)) {
    for (const member of group.endpoints) result[member.address] = group.priority;
  }
  return result;
}

describe('assignLocalityPriorities', () => {
  for (const testCase of CASES) {
    test(testCase.name, () => {
      const actual = priorityByAddress(testCase.client, testCase.endpoints, testCase.settings ?? ENABLED);
      assert.deepEqual(actual, testCase.expected);
    });
  }

  test('groups sorted by priority', () => {
    const groups = assignLocalityPriorities(
      [endpoint('10.0.0.3', locality('r3', 'x')), endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r1', 'b'))],
      locality('r1', 'a'),
      ENABLED,
    );
    assert.deepEqual(groups.map((group) => group.priority), [0, 1, 2]);
  });

  test('locality weight sums endpoint weights', () => {
    const groups = assignLocalityPriorities(
      [endpoint('10.0.0.1', locality('r1', 'a'), { weight: 3 }), endpoint('10.0.0.2', locality('r1', 'a'), { weight: 5 })],
      locality('r1', 'a'),
      ENABLED,
    );
    assert.equal(groups.length, 1);
    assert.equal(groups[0].weight, 8);
  });

  test('own sub-zone weighted first', () => {
    const groups = assignLocalityPriorities(
      [
        endpoint('10.0.0.1', locality('r1', 'a', 's1')),
        endpoint('10.0.0.2', locality('r1', 'a', 's2'), { weight: 2 }),
        endpoint('10.0.0.3', locality('r1', 'a', 's3')),
        endpoint('10.0.0.4', locality('r1', 'b', 's1')),
      ],
      locality('r1', 'a', 's1'),
      ENABLED,
    );
    const weightOf = (zone: string, subZone: string) =>
      groups.find((group) => group.locality.zone === zone && group.locality.subZone === subZone)?.weight;

    assert.equal(weightOf('a', 's1'), OWN_SUB_ZONE_WEIGHT_FACTOR * 3);
    assert.equal(weightOf('a', 's2'), 2);
    assert.equal(weightOf('a', 's3'), 1);
    assert.equal(weightOf('b', 's1'), 1, 'the same sub-zone name in another zone is not boosted');
  });

  test('own sub-zone alone keeps weight', () => {
    const groups = assignLocalityPriorities(
      [endpoint('10.0.0.1', locality('r1', 'a', 's1'), { weight: 2 }), endpoint('10.0.0.2', locality('r1', 'b', 's9'))],
      locality('r1', 'a', 's1'),
      ENABLED,
    );
    assert.equal(groups[0].weight, 2);
  });

  test('disabled lb keeps equal weights', () => {
    const groups = assignLocalityPriorities(
      [endpoint('10.0.0.1', locality('r1', 'a', 's1')), endpoint('10.0.0.2', locality('r1', 'a', 's2'))],
      locality('r1', 'a', 's1'),
      { enabled: false, failover: [] },
    );
    assert.deepEqual(groups.map((group) => group.weight), [1, 1]);
  });

  test('no endpoints gives no groups', () => {
    assert.deepEqual(assignLocalityPriorities([], locality('r1', 'a'), ENABLED), []);
  });
});
