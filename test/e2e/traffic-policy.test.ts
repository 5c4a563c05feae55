import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { eventually } from '../helpers/backends';
import { ScriptedBackend, shareOf, XdsTrafficClient, type ClientNode } from '../helpers/traffic-backends';

// grpc-js-xds adds the xds: resolver and the xDS load-balancing policies to grpc-js.
require('@grpc/grpc-js-xds').register();

type BackendName = 'v1' | 'v2' | 'breaker' | 'good' | 'bad' | 'flaky' | 'fault' | 'slow' | 'near' | 'far' | 'plainA' | 'plainB' | 'drillA' | 'drillB';

let folder: string;
let meridian: RunningMeridian;
const backends = {} as Record<BackendName, ScriptedBackend>;

function endpoint(name: BackendName, extra = '', zone = 'z1'): string {
  return `    - { address: 127.0.0.1, port: ${backends[name].port}, cluster: k8s-r1, locality: { region: r1, zone: ${zone} }${extra} }`;
}

function service(name: string, endpoints: string[]): string {
  return ['apiVersion: meridian.io/v1alpha1', 'kind: ServiceEndpoints', 'metadata:', `  name: ${name}`, 'spec:', '  port: 8080', '  protocol: grpc', '  endpoints:', ...endpoints].join('\n');
}

function policy(name: string, specLines: string[]): string {
  return ['apiVersion: meridian.io/v1alpha1', 'kind: TrafficPolicy', 'metadata:', `  name: ${name}`, 'spec:', `  service: ${name}.test`, `  hostnames: [${name}]`, ...specLines].join('\n');
}

function servicesYaml(): string {
  return [
    service('split.test', [endpoint('v1', ', labels: { version: v1 }'), endpoint('v2', ', labels: { version: v2 }')]),
    service('breaker.test', [endpoint('breaker')]),
    service('outlier.test', [endpoint('good'), endpoint('bad')]),
    service('retry.test', [endpoint('flaky')]),
    service('fault.test', [endpoint('fault')]),
    service('slow.test', [endpoint('slow')]),
    service('plain.test', [endpoint('plainA'), endpoint('plainB', '', 'z2')]),
    service('drill.test', [endpoint('drillA'), endpoint('drillB', '', 'z2')]),
    service('spread.test', [
      endpoint('near'),
      `    - { address: 127.0.0.1, port: ${backends.far.port}, cluster: k8s-r1, locality: { region: r1, zone: z2 } }`,
    ]),
  ].join('\n---\n');
}

function policiesYaml(canaryWeight: number): string {
  return [
    policy('split', [
      '  subsets:',
      '    - { name: v1, labels: { version: v1 } }',
      '    - { name: v2, labels: { version: v2 } }',
      '  routes:',
      '    - name: canary',
      `      split: [{ subset: v1, weight: ${100 - canaryWeight} }, { subset: v2, weight: ${canaryWeight} }]`,
    ]),
    policy('breaker', ['  circuitBreakers:', '    default: { maxRequests: 2 }']),
    policy('outlier', [
      '  outlierDetection:',
      '    failurePercentage: { threshold: 50, minimumHosts: 2, requestVolume: 5 }',
      '    interval: 300ms',
      '    baseEjectionTime: 1s',
      '    maxEjectionPercent: 50',
    ]),
    policy('retry', ['  retries:', '    retryOn: [unavailable]', '    attempts: 2', '    backoff: { baseInterval: 1ms, maxInterval: 5ms }']),
    policy('fault', ['  fault:', '    abort: { grpcStatus: 8, percent: 25 }']),
    policy('slow', ['  timeout: 2s', '  overrides:', '    - clients: { region: edge }', '      timeout: 100ms']),
    policy('plain', []),
    policy('drill', [
      '  outlierDetection:',
      '    failurePercentage: { threshold: 50, minimumHosts: 1, requestVolume: 5 }',
      '    interval: 300ms',
      '    baseEjectionTime: 5s',
      '    maxEjectionPercent: 50',
    ]),
    policy('spread', ['  localityLb:', '    distribute:', '      - from: r1/z1', '        to: { r1/z1: 80, r1/z2: 20 }']),
  ].join('\n---\n');
}

before(async () => {
  for (const name of ['v1', 'v2', 'breaker', 'good', 'bad', 'flaky', 'fault', 'slow', 'near', 'far', 'plainA', 'plainB', 'drillA', 'drillB'] as BackendName[]) {
    backends[name] = await ScriptedBackend.start(name);
  }
  folder = await mkdtemp(join(tmpdir(), 'meridian-traffic-'));
  await writeFile(join(folder, 'services.yaml'), servicesYaml());
  await writeFile(join(folder, 'policies.yaml'), policiesYaml(10));
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
  });
  assert.equal(meridian.policies.current().policies.length, 9, 'every test policy is accepted');
});

after(async () => {
  await meridian?.close();
  for (const backend of Object.values(backends)) backend.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

function clientOf(target: string, node: Partial<ClientNode> = {}): XdsTrafficClient {
  return new XdsTrafficClient(`127.0.0.1:${meridian.xdsPort}`, target, { id: `${target}-client`, locality: { region: 'r1', zone: 'z1' }, ...node });
}

/** Waits until the client's calls succeed, which means it has its routes and endpoints. */
async function ready(client: XdsTrafficClient): Promise<void> {
  await eventually(async () => (await client.call()).code === status.OK, 15_000);
}

test('canary split 90/10, then 50/50 after an edit', async () => {
  const client = clientOf('split');
  try {
    await ready(client);
    // Over 2000 calls a 10% share has a standard deviation of 0.7 points; 3 points is over 4 of them.
    const before = await client.tally(2000);
    assert.equal((before.v1 ?? 0) + (before.v2 ?? 0), 2000, JSON.stringify(before));
    assert.ok(Math.abs(shareOf(before, 'v2') - 0.1) < 0.03, `v2 share ${shareOf(before, 'v2')}`);

    // The same channel, without reconnecting, follows the edited policy.
    await writeFile(join(folder, 'policies.yaml'), policiesYaml(50));
    await eventually(async () => shareOf(await client.tally(200), 'v2') > 0.35, 15_000);
    const afterEdit = await client.tally(2000);
    assert.ok(Math.abs(shareOf(afterEdit, 'v2') - 0.5) < 0.05, `v2 share ${shareOf(afterEdit, 'v2')}`);
  } finally {
    client.close();
  }
});

test('circuit breaker fails calls above max requests', async () => {
  const client = clientOf('breaker');
  try {
    await ready(client);
    backends.breaker.delayMs = 500;
    // grpc-js counts a call only once its stream has started, so calls that start in the same
    // event-loop turn all pass the check. Real load is spread in time, as here by 25 ms.
    const pending = [];
    for (let index = 0; index < 6; index++) {
      pending.push(client.call());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const outcomes = await Promise.all(pending);
    backends.breaker.delayMs = 0;

    const succeeded = outcomes.filter((outcome) => outcome.code === status.OK);
    const rejected = outcomes.filter((outcome) => outcome.code === status.UNAVAILABLE);
    assert.equal(succeeded.length, 2, JSON.stringify(outcomes));
    assert.equal(rejected.length, 4, JSON.stringify(outcomes));
    // Rejected calls end without waiting for the backend, which delays every reply by 500 ms.
    for (const outcome of rejected) assert.ok(outcome.elapsedMs < 400, `rejected after ${outcome.elapsedMs} ms`);
  } finally {
    client.close();
  }
});

test('outlier detection ejects and restores a backend', async () => {
  const client = clientOf('outlier');
  try {
    await ready(client);
    backends.bad.failing = true;
    // Ejection happens at the next detection interval (300 ms) after enough failed calls.
    await eventually(async () => {
      await client.tally(20, 2);
      const callsBefore = backends.bad.calls;
      const counts = await client.tally(20, 2);
      return backends.bad.calls === callsBefore && counts.good === 20;
    }, 10_000, 50);

    // Healthy again: it returns once its 1 s ejection time is over.
    backends.bad.failing = false;
    const callsAtRecovery = backends.bad.calls;
    await eventually(async () => {
      await client.tally(10, 2);
      return backends.bad.calls > callsAtRecovery;
    }, 10_000, 100);
    const counts = await client.tally(40, 2);
    assert.ok((counts.bad ?? 0) > 0, JSON.stringify(counts));
    assert.equal(counts['code 14'], undefined, JSON.stringify(counts));
  } finally {
    backends.bad.failing = false;
    client.close();
  }
});

test('retries turn flaky failures into successes', async () => {
  const client = clientOf('retry');
  try {
    await ready(client);
    // The backend fails 2 of every 3 calls; 2 retries reach the third.
    backends.flaky.calls = 0;
    backends.flaky.failuresPerCycle = 2;
    backends.flaky.failureCycle = 3;
    const callsBefore = backends.flaky.calls;
    const counts = await client.tally(60, 1);
    assert.deepEqual(counts, { flaky: 60 });
    assert.equal(backends.flaky.calls - callsBefore, 180, 'each call took three attempts');
  } finally {
    backends.flaky.failuresPerCycle = 0;
    client.close();
  }
});

test('fault injection aborts the configured share', async () => {
  const client = clientOf('fault');
  try {
    await eventually(async () => (await client.tally(5)).fault !== undefined, 15_000);
    const callsBefore = backends.fault.calls;
    const counts = await client.tally(2000);
    const aborted = counts[`code ${status.RESOURCE_EXHAUSTED}`] ?? 0;
    // A 25% share over 2000 calls has a standard deviation of about 1 point.
    assert.ok(Math.abs(aborted / 2000 - 0.25) < 0.04, JSON.stringify(counts));
    assert.equal(counts.fault + aborted, 2000, JSON.stringify(counts));
    assert.equal(backends.fault.calls - callsBefore, counts.fault, 'aborted calls never reach the backend');
  } finally {
    client.close();
  }
});

test('override gives edge clients a shorter timeout', async () => {
  const central = clientOf('slow', { id: 'central-client' });
  const edge = clientOf('slow', { id: 'edge-client', locality: { region: 'edge', zone: 'edge-1' } });
  try {
    await ready(central);
    await ready(edge);
    backends.slow.delayMs = 400;
    const [fromCentral, fromEdge] = await Promise.all([central.call(5000), edge.call(5000)]);
    assert.equal(fromCentral.code, status.OK);
    assert.equal(fromEdge.code, status.DEADLINE_EXCEEDED);
    assert.ok(fromEdge.elapsedMs < 400, `edge call ended after ${fromEdge.elapsedMs} ms`);
  } finally {
    backends.slow.delayMs = 0;
    central.close();
    edge.close();
  }
});

test('distribute sends 80/20 across zones', async () => {
  const client = clientOf('spread');
  try {
    await ready(client);
    await eventually(async () => (await client.tally(100)).far !== undefined, 10_000);
    const counts = await client.tally(2000);
    // A 20% share over 2000 calls has a standard deviation of 0.9 points.
    assert.ok(Math.abs(shareOf(counts, 'far') - 0.2) < 0.04, JSON.stringify(counts));
    assert.equal((counts.near ?? 0) + (counts.far ?? 0), 2000, JSON.stringify(counts));
  } finally {
    client.close();
  }
});

test('failing zone stays without outlier detection', async () => {
  const client = clientOf('plain');
  try {
    await ready(client);
    backends.plainA.failing = true;
    // The endpoint still accepts connections, so nothing tells the client to leave its zone.
    const counts = await client.tally(100, 2);
    assert.deepEqual(counts, { [`code ${status.UNAVAILABLE}`]: 100 });
    assert.equal(backends.plainB.calls, 0);
  } finally {
    backends.plainA.failing = false;
    client.close();
  }
});

test('outlier detection fails a failing zone over', async () => {
  const client = clientOf('drill');
  try {
    await ready(client);
    backends.drillA.failing = true;
    // Once zone z1's only endpoint is ejected, its priority has no ready endpoint and z2 takes over.
    await eventually(async () => (await client.tally(10, 2)).drillB === 10, 10_000, 50);
    assert.deepEqual(await client.tally(50, 2), { drillB: 50 });
  } finally {
    backends.drillA.failing = false;
    client.close();
  }
});
