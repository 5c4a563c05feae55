import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { TYPE_URL } from '../../xds';
import { RawXdsStream } from '../helpers/ads-client';
import { eventually } from '../helpers/backends';
import { NamespaceLab, netnsSkipReason } from '../helpers/netns';
import { RegionOrderReader, regionsByPriority } from '../helpers/region-order';

/**
 * One prober per region (r1, r2, r3), each in a network namespace of its own on 10.213.78.0/24.
 * The probers reach the control plane's HDS service through a unix socket, and measure
 * round-trip times to each other. A tc netem delay on a prober's link sets how far its region is.
 */
const PREFIX = `mrl${process.pid % 100000}`;
const PROBERS = { p1: '10.213.78.11', p2: '10.213.78.12', p3: '10.213.78.13' } as const;
const REGION_OF = { p1: 'r1', p2: 'r2', p3: 'r3' } as const;
const BIN = join(__dirname, '..', '..', '..', 'bin', 'meridian.js');
const REPORT_INTERVAL_MS = 200;
const CLIENT = { id: 'client-r1', cluster: 'shop', locality: { region: 'r1', zone: 'a' } };

const skipReason = netnsSkipReason(`${PREFIX}-probe`, ['tc'], true);
const lab = new NamespaceLab(PREFIX, Object.fromEntries(Object.entries(PROBERS).map(([node, address]) => [node, [address]])));

const MESH = `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: 50101, cluster: k8s-r1, locality: { region: r1, zone: a } }
    - { address: 127.0.0.1, port: 50102, cluster: k8s-r2, locality: { region: r2, zone: a } }
    - { address: 127.0.0.1, port: 50103, cluster: k8s-r3, locality: { region: r3, zone: a } }
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
    failoverOrder: latency
    failover:
      - { from: r1, to: [r2, r3] }
`;

let folder: string;
let meridian: RunningMeridian;
let hdsServer: grpc.Server;
let stream: RawXdsStream;
let reader: RegionOrderReader;

function rttMs(from: string, to: string): number | undefined {
  return meridian.health.latency.regionRttMs(from, to);
}

before(async () => {
  if (skipReason !== undefined) return;
  lab.build();
  folder = await mkdtemp(join(tmpdir(), 'meridian-latency-'));
  await writeFile(join(folder, 'mesh.yaml'), MESH);
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
    healthReportIntervalMs: REPORT_INTERVAL_MS,
  });

  // The same HDS service, also on a unix socket that the namespaces can reach.
  hdsServer = new grpc.Server();
  const service = meridian.health.hds.service();
  hdsServer.addService(service.definition, service.implementation);
  const socket = join(folder, 'hds.sock');
  await new Promise<void>((resolve, reject) =>
    hdsServer.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );

  // r3 starts far away, so the first measured order is r2 then r3.
  lab.setDelay('p3', 30);
  for (const [node, address] of Object.entries(PROBERS)) {
    lab.spawn(node, [
      process.execPath, BIN, 'prober', '--id', node, '--locality', `${REGION_OF[node as keyof typeof PROBERS]}/a`,
      '--control-plane', `unix:${socket}`, '--probe-address', `${address}:7000`, '--log-level', 'warn',
    ]);
  }
  stream = new RawXdsStream(`127.0.0.1:${meridian.xdsPort}`);
  reader = new RegionOrderReader(stream, 'echo.test');
  stream.send({ node: CLIENT, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['echo.test'] });
});

after(async () => {
  stream?.close();
  if (skipReason === undefined) lab.remove();
  hdsServer?.forceShutdown();
  await meridian?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('latency order follows measured delay', { skip: skipReason }, async () => {
  await eventually(() => meridian.health.hds.probers().length === 3, 15_000);
  await eventually(() => (rttMs('r1', 'r3') ?? 0) > 20, 15_000);
  assert.deepEqual(meridian.health.latency.regionOrder('r1'), ['r2', 'r3']);
  await reader.waitFor(['r1', 'r2', 'r3'], 10_000);

  // r2 moves far away: the measured order flips, and so do the client's priorities.
  lab.setDelay('p2', 60);
  const flipMs = await reader.waitFor(['r1', 'r3', 'r2'], 15_000);
  assert.deepEqual(meridian.health.latency.regionOrder('r1'), ['r3', 'r2']);
  assert.ok(rttMs('r1', 'r2')! > rttMs('r1', 'r3')!);

  // r2 comes a little nearer than r3, by less than the hysteresis margin: the order stays.
  lab.setDelay('p2', 27);
  await eventually(() => rttMs('r1', 'r2')! < 29, 15_000);
  assert.ok(rttMs('r1', 'r2')! < rttMs('r1', 'r3')!, 'r2 is measured nearer than r3');
  const during = await stream.collectFor(1000);
  for (const response of during) assert.deepEqual(regionsByPriority(response), ['r1', 'r3', 'r2']);
  assert.deepEqual(meridian.health.latency.regionOrder('r1'), ['r3', 'r2']);
  assert.deepEqual(regionsByPriority(reader.latest!), ['r1', 'r3', 'r2']);

  // r2 comes much nearer: past the margin, the order flips back.
  lab.setDelay('p2', 0);
  const flipBackMs = await reader.waitFor(['r1', 'r2', 'r3'], 15_000);
  process.stdout.write(`latency-ordered failover: flip ${Math.round(flipMs)} ms, flip back ${Math.round(flipBackMs)} ms after the delay change\n`);
});
