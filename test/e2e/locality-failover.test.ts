import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { EchoBackend, eventually, XdsEchoClient } from '../helpers/backends';

// grpc-js-xds adds the xds: resolver and the xDS load-balancing policies to grpc-js.
require('@grpc/grpc-js-xds').register();

/** Writes the example mesh: zones A and B in region r1, zone C in region r2. */
function meshYaml(ports: { a: number; b: number; c: number }): string {
  return `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: ${ports.a}, cluster: k8s-r1, locality: { region: r1, zone: r1-a } }
    - { address: 127.0.0.1, port: ${ports.b}, cluster: k8s-r1, locality: { region: r1, zone: r1-b } }
    - { address: 127.0.0.1, port: ${ports.c}, cluster: k8s-r2, locality: { region: r2, zone: r2-c } }
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: echo.test
  hostnames: [echo]
  localityLb:
    enabled: true
`;
}

let folder: string;
let meridian: RunningMeridian;
let backends: { a: EchoBackend; b: EchoBackend; c: EchoBackend };

before(async () => {
  backends = {
    a: await EchoBackend.start('zone-a'),
    b: await EchoBackend.start('zone-b'),
    c: await EchoBackend.start('zone-c'),
  };
  folder = await mkdtemp(join(tmpdir(), 'meridian-e2e-'));
  await writeFile(join(folder, 'mesh.yaml'), meshYaml({ a: backends.a.port, b: backends.b.port, c: backends.c.port }));
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
  });
});

after(async () => {
  await meridian?.close();
  for (const backend of Object.values(backends ?? {})) backend.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('grpc client fails over zone by zone and returns', async () => {
  const client = new XdsEchoClient(`127.0.0.1:${meridian.xdsPort}`, 'echo', {
    id: 'client-r1-a',
    locality: { region: 'r1', zone: 'r1-a' },
  });
  try {
    // All calls stay in the client's own zone.
    await eventually(async () => (await client.tally(1))['zone-a'] === 1, 15_000);
    assert.deepEqual(await client.tally(30), { 'zone-a': 30 });

    // Zone A down: the other zone of the same region takes over, never the other region.
    backends.a.stop();
    await eventually(async () => (await client.tally(5))['zone-b'] === 5, 15_000);
    const afterA = await client.tally(30);
    assert.deepEqual(afterA, { 'zone-b': 30 });
    assert.equal(backends.c.calls, 0, 'no call may cross to region r2 while zone B is up');

    // Zones A and B down: region r2 takes over.
    backends.b.stop();
    await eventually(async () => (await client.tally(5))['zone-c'] === 5, 15_000);
    assert.deepEqual(await client.tally(30), { 'zone-c': 30 });

    // Zone A back: traffic returns to it.
    await backends.a.start();
    await eventually(async () => (await client.tally(5))['zone-a'] === 5, 30_000);
    assert.deepEqual(await client.tally(30), { 'zone-a': 30 });
  } finally {
    client.close();
  }
});
