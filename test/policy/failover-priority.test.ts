import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Endpoint, Locality } from '../../discovery';
import { assignLocalityPriorities, type ClientPlacement, type LocalityLbSettings } from '../../policy';
import { endpoint, locality } from './fixtures';

interface FailoverPriorityCase {
  name: string;
  client: Locality;
  placement: ClientPlacement;
  settings: LocalityLbSettings;
  endpoints: Endpoint[];
  /** Expected priority of each endpoint, by address. */
  expected: Record<string, number>;
}

/** Same Kubernetes cluster, then same network, then any: the broader key comes first. */
const NETWORK_THEN_CLUSTER: LocalityLbSettings = { enabled: true, failover: [], failoverPriority: ['network', 'cluster'] };

/** Endpoints in one locality, so that only the failover priority keys separate them. */
const SAME_ZONE = [
  endpoint('10.0.0.1', locality('r1', 'a'), { cluster: 'k1', network: 'n1' }),
  endpoint('10.0.0.2', locality('r1', 'a'), { cluster: 'k2', network: 'n1' }),
  endpoint('10.0.0.3', locality('r1', 'a'), { cluster: 'k3', network: 'n2' }),
];

const CASES: FailoverPriorityCase[] = [
  {
    name: 'same cluster, then network, then any',
    client: locality('r1', 'a'),
    placement: { cluster: 'k1', network: 'n1' },
    settings: NETWORK_THEN_CLUSTER,
    endpoints: SAME_ZONE,
    expected: { '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.3': 2 },
  },
  {
    name: 'own network without own cluster',
    client: locality('r1', 'a'),
    placement: { cluster: 'k9', network: 'n1' },
    settings: NETWORK_THEN_CLUSTER,
    endpoints: SAME_ZONE,
    expected: { '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 1 },
  },
  {
    name: 'unknown client network shares nothing',
    client: locality('r1', 'a'),
    placement: { cluster: 'k1' },
    settings: NETWORK_THEN_CLUSTER,
    endpoints: SAME_ZONE,
    // The first key decides: without it, sharing the cluster does not count.
    expected: { '10.0.0.1': 0, '10.0.0.2': 0, '10.0.0.3': 0 },
  },
  {
    name: 'narrower key first matches as prefix',
    client: locality('r1', 'a'),
    placement: { cluster: 'k1', network: 'n1' },
    settings: { enabled: true, failover: [], failoverPriority: ['cluster', 'network'] },
    endpoints: [...SAME_ZONE, endpoint('10.0.0.4', locality('r1', 'a'), { cluster: 'k1', network: 'n2' })],
    // Own cluster in another network comes second, and own network in another cluster shares
    // nothing, because it does not share the first key.
    expected: { '10.0.0.1': 0, '10.0.0.4': 1, '10.0.0.2': 2, '10.0.0.3': 2 },
  },
  {
    name: 'keys rank before localities',
    client: locality('r1', 'a'),
    placement: { cluster: 'k1', network: 'n1' },
    settings: NETWORK_THEN_CLUSTER,
    endpoints: [
      endpoint('10.0.0.1', locality('r1', 'a'), { cluster: 'k2', network: 'n2' }),
      endpoint('10.0.0.2', locality('r2', 'x'), { cluster: 'k1', network: 'n1' }),
      endpoint('10.0.0.3', locality('r3', 'y'), { cluster: 'k3', network: 'n1' }),
    ],
    // The own-cluster endpoint in another region beats the own zone in another network.
    expected: { '10.0.0.2': 0, '10.0.0.3': 1, '10.0.0.1': 2 },
  },
  {
    name: 'localities order within one level',
    client: locality('r1', 'a'),
    placement: { cluster: 'k1', network: 'n1' },
    settings: { enabled: true, failover: [{ from: 'r1', to: ['r3', 'r2'] }], failoverPriority: ['network', 'cluster'] },
    endpoints: [
      endpoint('10.0.0.1', locality('r1', 'a'), { cluster: 'k1', network: 'n1' }),
      endpoint('10.0.0.2', locality('r1', 'b'), { cluster: 'k1', network: 'n1' }),
      endpoint('10.0.0.3', locality('r2', 'x'), { cluster: 'k1', network: 'n1' }),
      endpoint('10.0.0.4', locality('r3', 'y'), { cluster: 'k1', network: 'n1' }),
      endpoint('10.0.0.5', locality('r1', 'a'), { cluster: 'k2', network: 'n1' }),
      endpoint('10.0.0.6', locality('r3', 'y'), { cluster: 'k2', network: 'n1' }),
      endpoint('10.0.0.7', locality('r1', 'a'), { cluster: 'k2', network: 'n2' }),
    ],
    expected: {
      // Same cluster and network: own zone, own region, then r3 before r2 by the failover rule.
      '10.0.0.1': 0,
      '10.0.0.2': 1,
      '10.0.0.4': 2,
      '10.0.0.3': 3,
      // Same network only: own zone, then r3.
      '10.0.0.5': 4,
      '10.0.0.6': 5,
      // Anything else.
      '10.0.0.7': 6,
    },
  },
  {
    name: 'endpoint label key',
    client: locality('r1', 'a'),
    placement: { labels: { 'topology.kubernetes.io/zone': 'z1' } },
    settings: { enabled: true, failover: [], failoverPriority: ['label:topology.kubernetes.io/zone'] },
    endpoints: [
      endpoint('10.0.0.1', locality('r1', 'a'), { labels: { 'topology.kubernetes.io/zone': 'z2' } }),
      endpoint('10.0.0.2', locality('r1', 'a'), { labels: { 'topology.kubernetes.io/zone': 'z1' } }),
      endpoint('10.0.0.3', locality('r1', 'a')),
    ],
    expected: { '10.0.0.2': 0, '10.0.0.1': 1, '10.0.0.3': 1 },
  },
  {
    name: 'disabled locality lb keeps keys',
    client: locality('r1', 'a'),
    placement: { cluster: 'k1', network: 'n1' },
    settings: { enabled: false, failover: [], failoverPriority: ['network', 'cluster'] },
    endpoints: [
      endpoint('10.0.0.1', locality('r2', 'x'), { cluster: 'k1', network: 'n1' }),
      endpoint('10.0.0.2', locality('r1', 'a'), { cluster: 'k2', network: 'n1' }),
      endpoint('10.0.0.3', locality('r1', 'a'), { cluster: 'k2', network: 'n2' }),
    ],
    expected: { '10.0.0.1': 0, '10.0.0.2': 1, '10.0.0.3': 2 },
  },
];

function prioritiesOf(testCase: FailoverPriorityCase): Record<string, number> {
  const result: Record<string, number> = {};
  for (const group of assignLocalityPriorities(testCase.endpoints, testCase.client, testCase.settings, testCase.placement)) {
    for (const member of group.endpoints) result[member.address] = group.priority;
  }
  return result;
}

describe('failover priority keys', () => {
  for (const testCase of CASES) {
    test(testCase.name, () => {
      assert.deepEqual(prioritiesOf(testCase), testCase.expected);
    });
  }

  test('groups split one locality by keys', () => {
    const groups = assignLocalityPriorities(SAME_ZONE, locality('r1', 'a'), NETWORK_THEN_CLUSTER, { cluster: 'k1', network: 'n1' });
    assert.equal(groups.length, 3);
    for (const group of groups) assert.deepEqual(group.locality, locality('r1', 'a'));
    assert.deepEqual(groups.map((group) => group.weight), [1, 1, 1]);
  });
});
