import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { Prober, waveWindowMs } from '../../health';
import { HEALTH_CHECK_DEFAULTS } from '../../policy';
import { eventually, XdsEchoClient } from '../helpers/backends';
import { HealthEchoBackend, NOT_SERVING, SERVING } from '../helpers/health-backends';
import { policyYaml, serviceYaml, yamlFile } from '../helpers/mesh-yaml';

require('@grpc/grpc-js-xds').register();

const INTERVAL_MS = 200;
const UNHEALTHY_THRESHOLD = 2;
const HEALTHY_THRESHOLD = 2;
const REPORT_INTERVAL_MS = 200;
const DEBOUNCE_MS = 20;
/**
 * Budget of a detected change: the thresholds' checks, one report, one debounced push, and a
 * margin for the client to apply the ClusterLoadAssignment and for two busy CPU cores.
 */
const DETECTION_BUDGET_MS = UNHEALTHY_THRESHOLD * INTERVAL_MS + REPORT_INTERVAL_MS + DEBOUNCE_MS + 1500;
/** Time within which the blast-radius guard counts ejections of one prober together. */
const WAVE_WINDOW_MS = waveWindowMs(
  { ...HEALTH_CHECK_DEFAULTS, protocol: 'grpc', intervalMs: INTERVAL_MS, timeoutMs: 150, unhealthyThreshold: UNHEALTHY_THRESHOLD, healthyThreshold: HEALTHY_THRESHOLD, holdDownMs: 0 },
  REPORT_INTERVAL_MS,
);

function meshYaml(ports: { a: number; b: number }): string {
  return yamlFile(
    serviceYaml('echo.test', [
      { port: ports.a, cluster: 'k8s-r1', region: 'r1', zone: 'r1-a' },
      { port: ports.b, cluster: 'k8s-r1', region: 'r1', zone: 'r1-b' },
    ]),
    serviceYaml('unchecked.test', [{ port: 1, cluster: 'k8s-r1', extra: 'network: net-1, weight: 3, labels: { version: v2 }' }]),
    policyYaml('echo', 'echo.test', ['echo'], [
      'healthCheck:',
      '  protocol: grpc',
      `  interval: ${INTERVAL_MS}ms`,
      '  timeout: 150ms',
      `  unhealthyThreshold: ${UNHEALTHY_THRESHOLD}`,
      `  healthyThreshold: ${HEALTHY_THRESHOLD}`,
      '  holdDown: 0s',
    ]),
  );
}

let folder: string;
let meridian: RunningMeridian;
let backends: { a: HealthEchoBackend; b: HealthEchoBackend };
let probers: Prober[] = [];

before(async () => {
  backends = { a: await HealthEchoBackend.start('zone-a'), b: await HealthEchoBackend.start('zone-b') };
  folder = await mkdtemp(join(tmpdir(), 'meridian-health-'));
  await writeFile(join(folder, 'mesh.yaml'), meshYaml({ a: backends.a.port, b: backends.b.port }));
  const logger = pino({ level: 'silent' });
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger,
    debounceMs: DEBOUNCE_MS,
    healthReportIntervalMs: REPORT_INTERVAL_MS,
  });
  const controlPlane = `127.0.0.1:${meridian.xdsPort}`;
  probers = [
    new Prober({ id: 'prober-a', locality: { region: 'r1', zone: 'r1-a', subZone: '' }, controlPlane, probeListen: '127.0.0.1:0', logger }),
    new Prober({ id: 'prober-b', locality: { region: 'r1', zone: 'r1-b', subZone: '' }, controlPlane, probeListen: '127.0.0.1:0', logger }),
  ];
  for (const prober of probers) await prober.start();
});

after(async () => {
  for (const prober of probers) prober.stop();
  await meridian?.close();
  for (const backend of Object.values(backends ?? {})) backend.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function adminJson(path: string): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${meridian.adminPort}${path}`);
  return response.json();
}

/** Checks /debug/endpoints while zone A is ejected: addresses, localities and decided health. */
async function assertRegistryView(): Promise<void> {
  const all = await adminJson('/debug/endpoints');
  assert.deepEqual(all.services.map((service: any) => service.name), ['echo.test', 'unchecked.test']);
  assert.equal(typeof all.registryRevision, 'number');
  const [unchecked] = all.services[1].endpoints;
  assert.deepEqual(unchecked, { address: '127.0.0.1', port: 1, cluster: 'k8s-r1', network: 'net-1', weight: 3, labels: { version: 'v2' }, health: 'unchecked' });

  const echo = await adminJson('/debug/endpoints?service=echo.test');
  assert.equal(echo.services.length, 1);
  const [a, b] = echo.services[0].endpoints;
  assert.equal(a.port, backends.a.port);
  assert.deepEqual(a.locality, { region: 'r1', zone: 'r1-a', subZone: '' });
  assert.equal(a.health, 'unhealthy');
  assert.ok(!Number.isNaN(Date.parse(a.healthChangedAt)), `healthChangedAt ${a.healthChangedAt}`);
  assert.equal(b.port, backends.b.port);
  assert.equal(b.health, 'healthy');

  const missing = await fetch(`http://127.0.0.1:${meridian.adminPort}/debug/endpoints?service=echo.tset`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), {
    code: 'ADMIN_SERVICE_NOT_FOUND',
    message: 'service "echo.tset" is not in the registry (known services: echo.test, unchecked.test); did you mean "echo.test"?',
  });
  const hostname = await fetch(`http://127.0.0.1:${meridian.adminPort}/debug/endpoints?service=echo`);
  assert.equal(hostname.status, 404);
  assert.match(((await hostname.json()) as { message: string }).message, /services are named in full, such as "echo\.test"$/);
  const empty = await fetch(`http://127.0.0.1:${meridian.adminPort}/debug/endpoints?service=`);
  assert.equal(empty.status, 400);
  assert.match(((await empty.json()) as { message: string }).message, /^empty service name; pass \?service=NAME/);
}

/** Polls until every one of `count` calls reaches `name`; returns the time it took. */
async function timeUntilAll(client: XdsEchoClient, name: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await eventually(async () => (await client.tally(3))[name] === 3, timeoutMs, 20);
  return performance.now() - started;
}

test('not serving endpoint fails over and returns', async () => {
  const client = new XdsEchoClient(`127.0.0.1:${meridian.xdsPort}`, 'echo', { id: 'client-a', locality: { region: 'r1', zone: 'r1-a' } });
  try {
    await eventually(async () => (await adminJson('/debug/health')).probers.length === 2, 10_000);
    await eventually(async () => (await adminJson('/debug/health')).endpoints.every((endpoint: any) => endpoint.votes.length === 2), 10_000);
    await timeUntilAll(client, 'zone-a', 15_000);

    backends.a.status = NOT_SERVING;
    const detectionMs = await timeUntilAll(client, 'zone-b', 10_000);
    assert.deepEqual(await client.tally(20), { 'zone-b': 20 });
    assert.ok(backends.a.healthChecks > 0, 'zone A was health-checked');
    const health = await adminJson('/debug/health');
    const endpointA = health.endpoints.find((endpoint: any) => endpoint.endpoint === `127.0.0.1:${backends.a.port}`);
    assert.equal(endpointA.healthy, false);
    assert.deepEqual(health.partitions, []);
    await assertRegistryView();

    backends.a.status = SERVING;
    const recoveryMs = await timeUntilAll(client, 'zone-a', 10_000);
    assert.deepEqual(await client.tally(20), { 'zone-a': 20 });

    process.stdout.write(`health failover: detection ${Math.round(detectionMs)} ms, recovery ${Math.round(recoveryMs)} ms\n`);
    assert.ok(detectionMs < DETECTION_BUDGET_MS, `detection took ${Math.round(detectionMs)} ms, budget ${DETECTION_BUDGET_MS} ms`);
  } finally {
    client.close();
  }
});

test('every endpoint unhealthy makes grpc calls fail', async () => {
  const client = new XdsEchoClient(`127.0.0.1:${meridian.xdsPort}`, 'echo', { id: 'client-a2', locality: { region: 'r1', zone: 'r1-a' } });
  try {
    await timeUntilAll(client, 'zone-a', 15_000);
    // One zone after the other: each step ejects one of two endpoints, within the 50% share. The
    // second failure comes after the wave window, so the guard does not count both as one wave.
    backends.a.status = NOT_SERVING;
    await timeUntilAll(client, 'zone-b', 10_000);
    await new Promise((resolve) => setTimeout(resolve, WAVE_WINDOW_MS));
    backends.b.status = NOT_SERVING;
    await eventually(async () => (await client.tally(3)).error === 3, 10_000, 50);

    const health = await adminJson('/debug/health');
    assert.ok(health.endpoints.every((endpoint: any) => endpoint.healthy === false));
    // grpc-js-xds 1.14 drops UNHEALTHY endpoints and has no panic mode, so no call reaches a backend.
    const callsBefore = backends.a.calls + backends.b.calls;
    assert.deepEqual(await client.tally(10), { error: 10 });
    assert.equal(backends.a.calls + backends.b.calls, callsBefore);

    backends.a.status = SERVING;
    backends.b.status = SERVING;
    await timeUntilAll(client, 'zone-a', 10_000);
  } finally {
    client.close();
  }
});

test('latency matrix lists both zones', async () => {
  await eventually(async () => (await adminJson('/debug/latency')).localities.length === 2, 10_000);
  const { localities } = await adminJson('/debug/latency');
  assert.deepEqual(localities.map((entry: any) => `${entry.from}>${entry.to}`).sort(), ['r1/r1-a>r1/r1-b', 'r1/r1-b>r1/r1-a']);
  const metrics = await (await fetch(`http://127.0.0.1:${meridian.adminPort}/metrics`)).text();
  assert.match(metrics, /meridian_health_locality_rtt_seconds\{from="r1\/r1-a",to="r1\/r1-b"\}/);
  assert.match(metrics, /meridian_health_probers 2/);
});
