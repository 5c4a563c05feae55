import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideHealth, endpointKeyOf, type EndpointVotes, type Partition, type ProbeStatus } from '../../health';

const A = { region: 'r1', zone: 'a', subZone: '' };
const B = { region: 'r1', zone: 'b', subZone: '' };
const C = { region: 'r2', zone: 'c', subZone: '' };
const LOCALITIES = { A, B, C };

/** `prober: status` where the prober's name starts with its locality letter: `a1: down`. */
type Votes = Record<string, 'up' | 'down'>;

interface EndpointRow {
  /** `SERVICE/LOCALITY/PORT`, for example `svc/A/1`. */
  id: string;
  votes: Votes;
  /** Health before this evaluation; healthy when absent. */
  previous?: boolean;
  /** Turned unhealthy within the wave window; implies `previous: false`. */
  recent?: true;
}

interface QuorumCase {
  name: string;
  endpoints: EndpointRow[];
  /** Endpoint ids expected unhealthy; every other endpoint is expected healthy. */
  unhealthy: string[];
  partitions?: Partition[];
  /** `SERVICE by PROBER` of each held change. */
  held?: string[];
  /** Endpoint ids of recent ejections that a held wave turns healthy again. */
  restored?: string[];
}

function toEndpointVotes(row: EndpointRow): EndpointVotes {
  const [service, locality, port] = row.id.split('/');
  return {
    service,
    address: '10.0.0.1',
    port: Number(port),
    locality: LOCALITIES[locality as keyof typeof LOCALITIES],
    votes: Object.entries(row.votes).map(([prober, vote]) => ({
      prober,
      locality: LOCALITIES[prober[0].toUpperCase() as keyof typeof LOCALITIES],
      status: (vote === 'up' ? 'healthy' : 'unhealthy') as ProbeStatus,
    })),
  };
}

const CASES: QuorumCase[] = [
  {
    name: 'every prober reports success',
    endpoints: [{ id: 'svc/A/1', votes: { a1: 'up', b1: 'up' } }],
    unhealthy: [],
  },
  {
    name: 'own and remote probers agree it fails',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down', b1: 'down' } },
      { id: 'svc/B/2', votes: { b1: 'up', a1: 'up' } },
    ],
    unhealthy: ['svc/A/1'],
  },
  {
    name: 'only the remote prober fails: partition',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'up', b1: 'down' } },
      { id: 'svc/B/2', votes: { b1: 'up', a1: 'up' } },
    ],
    unhealthy: [],
    partitions: [{ prober: 'b1', from: 'r1/b', to: 'r1/a' }],
  },
  {
    name: 'own prober cut off from its own locality',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down', b1: 'up' } },
      { id: 'svc/A/2', votes: { a1: 'down', c1: 'up' } },
    ],
    unhealthy: [],
    partitions: [{ prober: 'a1', from: 'r1/a', to: 'r1/a' }],
  },
  {
    name: 'remote prober reaches the locality but not the endpoint',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'up', b1: 'down' } },
      { id: 'svc/A/2', votes: { a1: 'up', b1: 'up' } },
      { id: 'svc/B/3', votes: { b1: 'up' } },
    ],
    unhealthy: [],
  },
  {
    name: 'one endpoint of a reachable locality fails for all',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down', b1: 'down' } },
      { id: 'svc/A/2', votes: { a1: 'up', b1: 'up' } },
      { id: 'svc/B/3', votes: { b1: 'up' } },
    ],
    unhealthy: ['svc/A/1'],
  },
  {
    name: 'silent probers: no votes keep healthy',
    endpoints: [{ id: 'svc/A/1', votes: {} }],
    unhealthy: [],
  },
  {
    name: 'silent probers: no votes keep unhealthy',
    endpoints: [
      { id: 'svc/A/1', votes: {}, previous: false },
      { id: 'svc/B/2', votes: { b1: 'up' } },
    ],
    unhealthy: ['svc/A/1'],
  },
  {
    name: 'remaining prober decides alone when the other is silent',
    endpoints: [
      { id: 'svc/A/1', votes: { b1: 'down' } },
      { id: 'svc/B/2', votes: { b1: 'up' } },
    ],
    unhealthy: ['svc/A/1'],
  },
  {
    name: 'one healthy vote blocks ejection',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down', b1: 'down', c1: 'up' } },
      { id: 'svc/A/2', votes: { a1: 'up' } },
    ],
    unhealthy: [],
    partitions: [{ prober: 'b1', from: 'r1/b', to: 'r1/a' }],
  },
  {
    name: 'one prober would eject most of a service: held',
    endpoints: [
      { id: 'svc/A/1', votes: { c1: 'down' } },
      { id: 'svc/B/2', votes: { c1: 'down' } },
      { id: 'svc/C/3', votes: { c1: 'up' } },
    ],
    unhealthy: [],
    held: ['svc by c1'],
  },
  {
    name: 'ejections already decided do not count toward the share',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down', c1: 'down' }, previous: false },
      { id: 'svc/B/2', votes: { b1: 'down', c1: 'down' } },
      { id: 'svc/C/3', votes: { c1: 'up' } },
    ],
    unhealthy: ['svc/A/1', 'svc/B/2'],
  },
  {
    name: 'recent ejection joins a wave past the share: held',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down' }, recent: true },
      { id: 'svc/A/2', votes: { a1: 'down' } },
      { id: 'svc/A/3', votes: { a1: 'down' } },
      { id: 'svc/B/4', votes: { a1: 'up' } },
    ],
    unhealthy: [],
    held: ['svc by a1'],
    restored: ['svc/A/1'],
  },
  {
    name: 'two recent ejections and a new one: held',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down' }, recent: true },
      { id: 'svc/A/2', votes: { a1: 'down' }, recent: true },
      { id: 'svc/A/3', votes: { a1: 'down' } },
      { id: 'svc/B/4', votes: { a1: 'up' } },
    ],
    unhealthy: [],
    held: ['svc by a1'],
    restored: ['svc/A/1', 'svc/A/2'],
  },
  {
    name: 'recent ejection and a new one within the share',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down' }, recent: true },
      { id: 'svc/A/2', votes: { a1: 'down' } },
      { id: 'svc/A/3', votes: { a1: 'up' } },
      { id: 'svc/B/4', votes: { a1: 'up' } },
    ],
    unhealthy: ['svc/A/1', 'svc/A/2'],
  },
  {
    name: 'wave shrinks to one: the recent ejection stays',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down' }, recent: true },
      { id: 'svc/A/2', votes: { a1: 'up' } },
      { id: 'svc/A/3', votes: { a1: 'up' } },
      { id: 'svc/B/4', votes: { a1: 'up' } },
    ],
    unhealthy: ['svc/A/1'],
  },
  {
    name: 'ejection older than the window does not count',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down' }, previous: false },
      { id: 'svc/A/2', votes: { a1: 'down' } },
      { id: 'svc/A/3', votes: { a1: 'down' } },
      { id: 'svc/B/4', votes: { a1: 'up' } },
    ],
    unhealthy: ['svc/A/1', 'svc/A/2', 'svc/A/3'],
  },
  {
    name: 'recent ejection counts only for probers voting it down',
    endpoints: [
      { id: 'svc/A/1', votes: { a1: 'down' }, recent: true },
      { id: 'svc/A/2', votes: { c1: 'down' } },
      { id: 'svc/A/3', votes: { c1: 'down' } },
      { id: 'svc/B/4', votes: { c1: 'up' } },
    ],
    unhealthy: ['svc/A/1', 'svc/A/2', 'svc/A/3'],
  },
  {
    name: 'recent ejection kept unhealthy without votes',
    endpoints: [
      { id: 'svc/A/1', votes: {}, recent: true },
      { id: 'svc/A/2', votes: { a1: 'down' } },
      { id: 'svc/A/3', votes: { a1: 'down' } },
      { id: 'svc/B/4', votes: { a1: 'up' } },
    ],
    unhealthy: ['svc/A/1', 'svc/A/2', 'svc/A/3'],
  },
  {
    name: 'two endpoints: recent and new ejection held',
    endpoints: [
      { id: 'pair/A/1', votes: { c1: 'down' }, recent: true },
      { id: 'pair/B/2', votes: { c1: 'down' } },
    ],
    unhealthy: [],
    held: ['pair by c1'],
    restored: ['pair/A/1'],
  },
  {
    name: 'single-endpoint service may be ejected',
    endpoints: [{ id: 'solo/A/1', votes: { a1: 'down', b1: 'down' } }],
    unhealthy: ['solo/A/1'],
  },
  {
    name: 'share is counted per service',
    endpoints: [
      { id: 'x/A/1', votes: { a1: 'down', b1: 'down' } },
      { id: 'x/B/2', votes: { b1: 'up' } },
      { id: 'y/A/3', votes: { a1: 'down', b1: 'down' } },
      { id: 'y/B/4', votes: { b1: 'up' } },
    ],
    unhealthy: ['x/A/1', 'y/A/3'],
  },
];

for (const row of CASES) {
  test(`quorum: ${row.name}`, () => {
    const endpoints = row.endpoints.map(toEndpointVotes);
    const keyOf = (id: string) => {
      const endpoint = endpoints[row.endpoints.findIndex((candidate) => candidate.id === id)];
      return endpointKeyOf(endpoint.service, endpoint.address, endpoint.port);
    };
    const previous = new Map(
      row.endpoints
        .filter((endpoint) => endpoint.previous !== undefined || endpoint.recent)
        .map((endpoint) => [keyOf(endpoint.id), endpoint.recent ? false : endpoint.previous!]),
    );
    const recentEjections = new Set(row.endpoints.filter((endpoint) => endpoint.recent).map((endpoint) => keyOf(endpoint.id)));

    const result = decideHealth(endpoints, previous, { recentEjections });

    for (const endpoint of row.endpoints) {
      const expected = !row.unhealthy.includes(endpoint.id);
      assert.equal(result.desired.get(keyOf(endpoint.id)), expected, `${endpoint.id} should be ${expected ? 'healthy' : 'unhealthy'}`);
    }
    assert.deepEqual(result.partitions, row.partitions ?? []);
    assert.deepEqual(
      result.held.map((change) => `${change.service} by ${change.prober}`),
      row.held ?? [],
    );
    assert.deepEqual(result.restored, (row.restored ?? []).map(keyOf));
  });
}

test('quorum: held change lists endpoints and share', () => {
  const endpoints = [
    { id: 'svc/A/1', votes: { c1: 'down' as const } },
    { id: 'svc/B/2', votes: { c1: 'down' as const } },
  ].map(toEndpointVotes);
  const result = decideHealth(endpoints, new Map(), { maxEjectShare: 0.5 });
  assert.deepEqual(result.held, [{ service: 'svc', prober: 'c1', endpoints: ['10.0.0.1:1', '10.0.0.1:2'], share: 1 }]);
});

test('quorum: held wave lists recent and new endpoints', () => {
  const endpoints = [
    { id: 'svc/A/1', votes: { c1: 'down' as const } },
    { id: 'svc/B/2', votes: { c1: 'down' as const } },
    { id: 'svc/C/3', votes: { c1: 'up' as const } },
  ].map(toEndpointVotes);
  const recent = endpointKeyOf('svc', '10.0.0.1', 1);
  const result = decideHealth(endpoints, new Map([[recent, false]]), { maxEjectShare: 0.5, recentEjections: new Set([recent]) });
  assert.deepEqual(result.held, [{ service: 'svc', prober: 'c1', endpoints: ['10.0.0.1:1', '10.0.0.1:2'], share: 2 / 3 }]);
  assert.deepEqual(result.restored, [recent]);
});
