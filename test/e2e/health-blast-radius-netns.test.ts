import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { messageNameOf, messageType, TYPE_URL } from '../../xds';
import { RawXdsStream } from '../helpers/ads-client';
import { eventually } from '../helpers/backends';
import { NamespaceLab, netnsSkipReason } from '../helpers/netns';

/**
 * Probers in r1/a and r1/b and four endpoints, three in r1/a and one in r1/b, each node in a
 * network namespace of its own on 10.213.79.0/24. The probers reach the control plane's HDS
 * service through a unix socket.
 */
const PREFIX = `mrb${process.pid % 100000}`;
const SUBNET = '10.213.79';
const ZONE_A = [`${SUBNET}.21`, `${SUBNET}.22`, `${SUBNET}.23`];
const ZONE_B = [`${SUBNET}.31`];
const PORT = 8080;
const BIN = join(__dirname, '..', '..', '..', 'bin', 'meridian.js');
const INTERVAL_MS = 200;
const REPORT_INTERVAL_MS = 200;

const skipReason = netnsSkipReason(`${PREFIX}-probe`);
const lab = new NamespaceLab(PREFIX, { pa: [`${SUBNET}.11`], pb: [`${SUBNET}.12`], ea: ZONE_A, eb: ZONE_B });

const MESH = `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: ${PORT}
  protocol: grpc
  endpoints:
${ZONE_A.map((address) => `    - { address: ${address}, port: ${PORT}, cluster: k8s-r1, locality: { region: r1, zone: a } }`).join('\n')}
${ZONE_B.map((address) => `    - { address: ${address}, port: ${PORT}, cluster: k8s-r1, locality: { region: r1, zone: b } }`).join('\n')}
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: echo.test
  hostnames: [echo]
  healthCheck: { protocol: tcp, interval: ${INTERVAL_MS}ms, timeout: 150ms, unhealthyThreshold: 2, healthyThreshold: 1, holdDown: 0s }
`;

let folder: string;
let meridian: RunningMeridian;
let hdsServer: grpc.Server;
let socket: string;
const probers = new Map<string, ChildProcess>();

async function debugHealth(): Promise<any> {
  return (await fetch(`http://127.0.0.1:${meridian.adminPort}/debug/health`)).json();
}

async function unhealthyEndpoints(): Promise<string[]> {
  return (await debugHealth()).endpoints.filter((endpoint: any) => !endpoint.healthy).map((endpoint: any) => endpoint.endpoint);
}

/** `health_status` of every endpoint in the ClusterLoadAssignment that a client in r1/a receives. */
async function sentHealth(): Promise<Record<string, string>> {
  const stream = new RawXdsStream(`127.0.0.1:${meridian.xdsPort}`);
  try {
    stream.send({ node: { id: 'client-r1', cluster: 'shop', locality: { region: 'r1', zone: 'a' } }, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['echo.test'] });
    const response = await stream.next(5000);
    const type = messageType(messageNameOf(response.type_url));
    const assignment = type.toObject(type.decode(response.resources[0].value), { enums: String }) as any;
    const health: Record<string, string> = {};
    for (const group of assignment.endpoints) {
      for (const endpoint of group.lb_endpoints) health[endpoint.endpoint.address.socket_address.address] = endpoint.health_status;
    }
    return health;
  } finally {
    stream.close();
  }
}

function startProber(node: 'pa' | 'pb', zone: string): void {
  probers.set(
    node,
    lab.spawn(node, [process.execPath, BIN, 'prober', '--id', `prober-${zone}`, '--locality', `r1/${zone}`, '--control-plane', `unix:${socket}`, '--log-level', 'warn']),
  );
}

before(async () => {
  if (skipReason !== undefined) return;
  lab.build();
  folder = await mkdtemp(join(tmpdir(), 'meridian-blast-'));
  await writeFile(join(folder, 'mesh.yaml'), MESH);
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
    healthReportIntervalMs: REPORT_INTERVAL_MS,
    healthMaxEjectShare: 0.5,
  });

  // The same HDS service, also on a unix socket that the namespaces can reach.
  hdsServer = new grpc.Server();
  const service = meridian.health.hds.service();
  hdsServer.addService(service.definition, service.implementation);
  socket = join(folder, 'hds.sock');
  await new Promise<void>((resolve, reject) =>
    hdsServer.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );

  for (const [node, addresses] of [['ea', ZONE_A], ['eb', ZONE_B]] as const) {
    const listeners = addresses.map((address) => `require('net').createServer((s) => s.destroy()).listen(${PORT}, '${address}');`).join('');
    lab.spawn(node, [process.execPath, '-e', listeners]);
  }
  startProber('pa', 'a');
  startProber('pb', 'b');
});

after(async () => {
  if (skipReason === undefined) lab.remove();
  hdsServer?.forceShutdown();
  await meridian?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('one prober ejecting most endpoints is held', { skip: skipReason }, async () => {
  await eventually(async () => (await debugHealth()).endpoints.every((endpoint: any) => endpoint.votes.length === 2), 20_000);

  // With the prober of r1/b gone, the prober of r1/a checks every endpoint and its votes are the
  // only ones: partition detection has no healthy vote to compare with, so the share limit decides.
  // Its checks of the three cut endpoints cross the unhealthy threshold at different times, so the
  // guard must hold the whole wave, not only the ejections of one report.
  probers.get('pb')!.kill('SIGTERM');
  await eventually(async () => (await debugHealth()).endpoints.every((endpoint: any) => endpoint.votes.length === 1), 10_000);

  for (const address of ZONE_A) lab.setPath('pa', address, true);
  try {
    await eventually(async () => (await debugHealth()).held.length === 1, 10_000);
    const health = await debugHealth();
    assert.deepEqual(health.held, [{ service: 'echo.test', prober: 'prober-a', endpoints: ZONE_A.map((address) => `${address}:${PORT}`), share: 0.75 }]);
    assert.deepEqual(health.partitions, []);
    assert.deepEqual(await unhealthyEndpoints(), []);
    assert.deepEqual(await sentHealth(), Object.fromEntries([...ZONE_A, ...ZONE_B].map((address) => [address, 'HEALTHY'])));
    const metrics = await (await fetch(`http://127.0.0.1:${meridian.adminPort}/metrics`)).text();
    assert.match(metrics, /meridian_health_held_changes 1/);

    // With two of the three paths back, one ejection is within the share and goes through.
    lab.setPath('pa', ZONE_A[1], false);
    lab.setPath('pa', ZONE_A[2], false);
    await eventually(async () => (await unhealthyEndpoints()).length === 1, 10_000);
    assert.deepEqual(await unhealthyEndpoints(), [`${ZONE_A[0]}:${PORT}`]);
    assert.deepEqual((await debugHealth()).held, []);
    await eventually(async () => (await sentHealth())[ZONE_A[0]] === 'UNHEALTHY', 5000);
  } finally {
    for (const address of ZONE_A) {
      try {
        lab.setPath('pa', address, false);
      } catch {
        // Restored above.
      }
    }
  }
  await eventually(async () => (await unhealthyEndpoints()).length === 0, 10_000);
});
