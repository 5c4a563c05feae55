import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { eventually } from '../helpers/backends';
import { HealthEchoBackend, NOT_SERVING } from '../helpers/health-backends';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'meridian.js');

let folder: string;
let meridian: RunningMeridian;
let backend: HealthEchoBackend;
const children: ChildProcess[] = [];

before(async () => {
  backend = await HealthEchoBackend.start('zone-a');
  folder = await mkdtemp(join(tmpdir(), 'meridian-prober-'));
  await writeFile(
    join(folder, 'mesh.yaml'),
    `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: ${backend.port}, cluster: k8s-r1, locality: { region: r1, zone: r1-a } }
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: echo.test
  hostnames: [echo]
  healthCheck: { protocol: grpc, interval: 200ms, timeout: 150ms, unhealthyThreshold: 1, holdDown: 0s }
`,
  );
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
    healthReportIntervalMs: 200,
  });
});

after(async () => {
  for (const child of children) child.kill('SIGTERM');
  await meridian?.close();
  backend?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

function startProber(id: string, locality: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [BIN, 'prober', '--id', id, '--locality', locality, '--control-plane', `127.0.0.1:${meridian.xdsPort}`, '--probe-address', '127.0.0.1:0', '--log-level', 'warn'],
    { stdio: 'ignore' },
  );
  children.push(child);
  return child;
}

test('prober processes decide and rebalance', async () => {
  startProber('prober-a', 'r1/r1-a');
  const proberB = startProber('prober-b', 'r1/r1-b');
  await eventually(() => meridian.health.hds.probers().length === 2, 15_000);
  await eventually(() => meridian.health.summary().endpoints[0]?.votes.length === 2, 15_000);

  backend.status = NOT_SERVING;
  await eventually(() => meridian.health.aggregator.isHealthy('echo.test', '127.0.0.1', backend.port) === false, 10_000);

  // The remote prober leaves: its vote goes, and the endpoint is reassigned to no other remote prober.
  proberB.kill('SIGTERM');
  await eventually(() => meridian.health.hds.probers().length === 1, 10_000);
  await eventually(() => meridian.health.summary().endpoints[0].votes.every((vote) => vote.prober === 'prober-a'), 10_000);
  assert.equal(meridian.health.aggregator.isHealthy('echo.test', '127.0.0.1', backend.port), false);
});
