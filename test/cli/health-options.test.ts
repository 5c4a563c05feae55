import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { readHealthServeOptions } from '../../cli/health-options';
import { fetchHealthCheckMethod, streamHealthCheckMethod } from '../../health';
import { eventually } from '../helpers/backends';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'meridian.js');

test('health options default', () => {
  assert.deepEqual(readHealthServeOptions({}), {
    healthReportIntervalMs: 1000,
    healthSilenceMs: 5000,
    healthMaxEjectShare: 0.5,
    healthRemoteProbers: 1,
  });
});

test('health options read values', () => {
  const options = readHealthServeOptions({
    'health-report-interval-ms': '250',
    'health-max-eject-percent': '30',
    'health-remote-probers': '2',
  });
  assert.deepEqual(options, { healthReportIntervalMs: 250, healthSilenceMs: 1250, healthMaxEjectShare: 0.3, healthRemoteProbers: 2 });
  assert.equal((readHealthServeOptions({ 'health-silence-ms': '9000' }) as { healthSilenceMs: number }).healthSilenceMs, 9000);
});

const INVALID: [Record<string, string>, RegExp][] = [
  [{ 'health-report-interval-ms': '50' }, /invalid --health-report-interval-ms "50": expected a whole number of milliseconds from 100 to 60000/],
  [{ 'health-report-interval-ms': '1s' }, /invalid --health-report-interval-ms "1s"/],
  [{ 'health-max-eject-percent': '0' }, /invalid --health-max-eject-percent "0": expected a whole percentage from 1 to 100/],
  [{ 'health-max-eject-percent': '101' }, /invalid --health-max-eject-percent "101"/],
  [{ 'health-max-eject-percent': '0.5' }, /invalid --health-max-eject-percent "0.5"/],
  [{ 'health-remote-probers': '0' }, /invalid --health-remote-probers "0": expected a whole number of probers from 1 to 10/],
  [{ 'health-silence-ms': '800' }, /invalid --health-silence-ms "800": it must be longer than the report interval \(1000 ms\).*use at least 2000/],
];

for (const [values, message] of INVALID) {
  test(`health options reject ${JSON.stringify(values)}`, () => {
    const result = readHealthServeOptions(values);
    assert.equal(typeof result, 'string');
    assert.match(result as string, message);
  });
}

test('serve exits 2 on invalid health option', async () => {
  const failed = await promisify(execFile)(process.execPath, [BIN, 'serve', '--config', 'examples', '--health-max-eject-percent', '150'], { cwd: ROOT }).then(
    () => undefined,
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failed?.code, 2);
  assert.match(failed!.stderr, /meridian: invalid --health-max-eject-percent "150": expected a whole percentage from 1 to 100/);
});

test('serve help lists health options', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'serve', '--help'], { cwd: ROOT });
  for (const option of ['--health-report-interval-ms', '--health-silence-ms', '--health-max-eject-percent', '--health-remote-probers']) {
    assert.match(stdout, new RegExp(option));
  }
  assert.match(stdout, /in percent, from 1 to 100; a larger change is held/);
});

/** Four endpoints in r1/a, so that the remote probers of each one are visible in an assignment. */
const MESH = `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
${[1, 2, 3, 4].map((n) => `    - { address: 10.0.0.${n}, port: 8080, cluster: k8s-r1, locality: { region: r1, zone: a } }`).join('\n')}
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: echo.test
  hostnames: [echo]
  healthCheck: { protocol: tcp }
`;

test('serve applies remote probers and interval', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'meridian-health-options-'));
  await writeFile(join(folder, 'mesh.yaml'), MESH);
  const child = spawn(
    process.execPath,
    [
      BIN, 'serve', '--config', folder, '--state-dir', join(folder, 'state'), '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0',
      '--health-remote-probers', '2', '--health-report-interval-ms', '300',
    ],
    { cwd: ROOT },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let client: grpc.Client | undefined;
  const streams: grpc.ClientDuplexStream<Record<string, any>, Record<string, any>>[] = [];
  try {
    const started = await new Promise<{ xdsPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line within 10 s:\n${output}`)), 10_000);
      child.stdout.on('data', () => {
        const line = output.split('\n').find((text) => text.includes('"meridian serving"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line));
        }
      });
    });
    client = new grpc.Client(`127.0.0.1:${started.xdsPort}`, grpc.credentials.createInsecure());

    // Three streaming probers: one in the endpoints' zone and two elsewhere.
    const assigned = new Set<string>();
    for (const [id, zone] of [['prober-a', 'a'], ['prober-b', 'b'], ['prober-c', 'c']]) {
      const stream = client.makeBidiStreamRequest(streamHealthCheckMethod.path, streamHealthCheckMethod.requestSerialize, streamHealthCheckMethod.responseDeserialize);
      stream.on('data', () => assigned.add(id));
      stream.on('error', () => {
        // Cancelled at the end of the test.
      });
      stream.write({ health_check_request: { node: { id, locality: { region: 'r1', zone } } } });
      streams.push(stream);
    }
    await eventually(() => assigned.size === 3, 5000);

    // With two remote probers, both probers outside zone a check every endpoint of zone a. With
    // one, they would share the endpoints between them.
    for (const id of ['prober-b', 'prober-c']) {
      const specifier = await new Promise<Record<string, any>>((resolve, reject) =>
        client!.makeUnaryRequest(
          fetchHealthCheckMethod.path,
          fetchHealthCheckMethod.requestSerialize,
          fetchHealthCheckMethod.responseDeserialize,
          { health_check_request: { node: { id, locality: { region: 'r1', zone: id.slice(-1) } } } },
          (error, response) => (error ? reject(error) : resolve(response!)),
        ),
      );
      const cluster = specifier.cluster_health_checks.find((entry: Record<string, any>) => entry.cluster_name !== 'meridian.probers');
      const endpoints = cluster.locality_endpoints.flatMap((group: Record<string, any>) => group.endpoints);
      assert.equal(endpoints.length, 4, id);
      assert.deepEqual(specifier.interval, { nanos: 300_000_000 });
    }
  } finally {
    for (const stream of streams) stream.cancel();
    client?.close();
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    await rm(folder, { recursive: true, force: true });
  }
});
