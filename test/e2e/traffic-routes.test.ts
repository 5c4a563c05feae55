import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { ECHO_PATH, eventually } from '../helpers/backends';
import { MethodBackend, XdsRoutedClient } from '../helpers/routed-backends';

// grpc-js-xds adds the xds: resolver and the xDS load-balancing policies to grpc-js. Version
// 1.14 enables ring hash by default (GRPC_XDS_EXPERIMENTAL_ENABLE_RING_HASH defaults to true).
require('@grpc/grpc-js-xds').register();

const PLACE_PATH = '/meridian.test.Orders/Place';
const CANCEL_PATH = '/meridian.test.Orders/Cancel';
const PATHS = [ECHO_PATH, PLACE_PATH, CANCEL_PATH];

type BackendName = 'stable' | 'canary' | 'h1' | 'h2' | 'h3';

let folder: string;
let meridian: RunningMeridian;
const backends = {} as Record<BackendName, MethodBackend>;

function endpoint(name: BackendName, labels: string): string {
  return `    - { address: 127.0.0.1, port: ${backends[name].port}, cluster: k8s-r1, locality: { region: r1, zone: z1 }, labels: { ${labels} } }`;
}

function configYaml(): string {
  const service = (name: string, endpoints: string[]) =>
    ['apiVersion: meridian.io/v1alpha1', 'kind: ServiceEndpoints', `metadata: { name: ${name}.test }`, 'spec:', '  port: 8080', '  protocol: grpc', '  endpoints:', ...endpoints].join('\n');
  const policy = (name: string, lines: string[]) =>
    ['apiVersion: meridian.io/v1alpha1', 'kind: TrafficPolicy', `metadata: { name: ${name} }`, 'spec:', `  service: ${name}.test`, `  hostnames: [${name}]`, ...lines].join('\n');
  return [
    service('routed', [endpoint('stable', 'version: v1'), endpoint('canary', 'version: v2')]),
    service('hashed', [endpoint('h1', 'app: hashed'), endpoint('h2', 'app: hashed'), endpoint('h3', 'app: hashed')]),
    policy('routed', [
      '  subsets:',
      '    - { name: v1, labels: { version: v1 } }',
      '    - { name: v2, labels: { version: v2 } }',
      '  routes:',
      '    - name: canary-header',
      '      match: { headers: [{ name: x-canary, exact: "true" }] }',
      '      subset: v2',
      '    - name: beta-users',
      '      match: { headers: [{ name: x-user-group, regex: "beta-[0-9]+" }] }',
      '      subset: v2',
      '    - name: place-order',
      '      match: { grpcMethod: { service: meridian.test.Orders, method: Place } }',
      '      subset: v2',
      '    - name: stable',
      '      subset: v1',
    ]),
    policy('hashed', ['  loadBalancer:', '    algorithm: ringHash', '    hashOn: [{ header: x-user-id }]']),
  ].join('\n---\n');
}

before(async () => {
  for (const name of ['stable', 'canary', 'h1', 'h2', 'h3'] as BackendName[]) backends[name] = await MethodBackend.start(name, PATHS);
  folder = await mkdtemp(join(tmpdir(), 'meridian-routes-'));
  await writeFile(join(folder, 'config.yaml'), configYaml());
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
  });
  assert.equal(meridian.policies.current().policies.length, 2, 'both test policies are accepted');
});

after(async () => {
  await meridian?.close();
  for (const backend of Object.values(backends)) backend.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

function clientOf(target: string): XdsRoutedClient {
  return new XdsRoutedClient(`127.0.0.1:${meridian.xdsPort}`, target, { id: `${target}-client`, locality: { region: 'r1', zone: 'z1' } });
}

/** Waits until a plain call succeeds, which means the client has its routes and endpoints. */
async function ready(client: XdsRoutedClient): Promise<void> {
  await eventually(async () => !(await client.call(ECHO_PATH)).startsWith('code'), 15_000);
}

test('header routes send calls to their subset', async () => {
  const client = clientOf('routed');
  try {
    await ready(client);
    assert.deepEqual(await client.tally(20, ECHO_PATH), { stable: 20 });
    assert.deepEqual(await client.tally(20, ECHO_PATH, { 'x-canary': 'true' }), { canary: 20 });
    // Exact match: another value falls through to the default route.
    assert.deepEqual(await client.tally(20, ECHO_PATH, { 'x-canary': 'yes' }), { stable: 20 });
    // RE2 regex on the whole value.
    assert.deepEqual(await client.tally(20, ECHO_PATH, { 'x-user-group': 'beta-42' }), { canary: 20 });
    assert.deepEqual(await client.tally(20, ECHO_PATH, { 'x-user-group': 'beta-x' }), { stable: 20 });
  } finally {
    client.close();
  }
});

test('gRPC method route matches one method', async () => {
  const client = clientOf('routed');
  try {
    await ready(client);
    const canaryBefore = backends.canary.calls[PLACE_PATH] ?? 0;
    assert.deepEqual(await client.tally(20, PLACE_PATH), { canary: 20 });
    assert.equal((backends.canary.calls[PLACE_PATH] ?? 0) - canaryBefore, 20);
    // Another method of the same service takes the default route.
    assert.deepEqual(await client.tally(20, CANCEL_PATH), { stable: 20 });
  } finally {
    client.close();
  }
});

test('ring hash keeps a header value on one backend', async () => {
  const client = clientOf('hashed');
  try {
    await ready(client);
    const users = Array.from({ length: 12 }, (_, index) => `user-${index}`);
    const backendOf: Record<string, string> = {};
    for (const user of users) {
      const counts = await client.tally(15, ECHO_PATH, { 'x-user-id': user });
      assert.equal(Object.keys(counts).length, 1, `${user} reached ${JSON.stringify(counts)}`);
      backendOf[user] = Object.keys(counts)[0];
      assert.match(backendOf[user], /^h[123]$/);
    }
    // Twelve users on three equal backends all land on one with a chance of about 3 in 500,000.
    assert.ok(new Set(Object.values(backendOf)).size > 1, `every user reached ${JSON.stringify(backendOf)}`);
    // A second pass keeps every user where it was.
    for (const user of users) {
      assert.equal(await client.call(ECHO_PATH, { 'x-user-id': user }), backendOf[user], user);
    }
  } finally {
    client.close();
  }
});
