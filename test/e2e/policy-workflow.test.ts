import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { EchoBackend, eventually, XdsEchoClient } from '../helpers/backends';

require('@grpc/grpc-js-xds').register();

// Compiled tests run from dist/test/e2e, so the repository root is three folders up.
const MERIDIAN_BIN = join(__dirname, '..', '..', '..', 'bin', 'meridian.js');

function servicesYaml(ports: { blue: number; green: number }): string {
  return `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: blue.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: ${ports.blue}, cluster: k8s-r1, locality: { region: r1, zone: r1-a } }
---
apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: green.test
spec:
  port: 8081
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: ${ports.green}, cluster: k8s-r1, locality: { region: r1, zone: r1-a } }
`;
}

function policyYaml(service: string): string {
  return `apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: ${service}
  hostnames: [echo]
`;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/meridian.js ARGS` as a child process. */
function meridianCli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MERIDIAN_BIN, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error !== null) code = typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

let folder: string;
let stateDir: string;
let backends: { blue: EchoBackend; green: EchoBackend };
let meridian: RunningMeridian | undefined;

async function startServer(): Promise<RunningMeridian> {
  meridian = await startMeridian({
    configPaths: [join(folder, 'config')],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: pino({ level: 'silent' }),
    debounceMs: 20,
    stateDir,
  });
  return meridian;
}

const serverOf = (running: RunningMeridian): string => `http://127.0.0.1:${running.adminPort}`;

before(async () => {
  backends = { blue: await EchoBackend.start('blue'), green: await EchoBackend.start('green') };
  folder = await mkdtemp(join(tmpdir(), 'meridian-workflow-'));
  stateDir = join(folder, 'state');
  await mkdir(join(folder, 'config'));
  await writeFile(join(folder, 'config', 'services.yaml'), servicesYaml({ blue: backends.blue.port, green: backends.green.port }));
  await writeFile(join(folder, 'config', 'policy.yaml'), policyYaml('blue.test'));
  await writeFile(join(folder, 'green.yaml'), policyYaml('green.test'));
  await writeFile(join(folder, 'broken.yaml'), policyYaml('purple.test'));
  await writeFile(join(folder, 'services-only.yaml'), servicesYaml({ blue: 1, green: 2 }));
});

after(async () => {
  await meridian?.close();
  backends?.blue.stop();
  backends?.green.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('rollback restores routing seen by a grpc client', async () => {
  const running = await startServer();
  const server = serverOf(running);
  const client = new XdsEchoClient(`127.0.0.1:${running.xdsPort}`, 'echo', { id: 'client-1', locality: { region: 'r1', zone: 'r1-a' } });
  try {
    await eventually(async () => (await client.tally(1)).blue === 1, 15_000);

    const applied = await meridianCli('apply', join(folder, 'green.yaml'), '--server', server, '--author', 'alice', '--message', 'move echo to green');
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^Revision 2 \([0-9a-f]{12}\) by alice is now in force\.$/m);
    await eventually(async () => (await client.tally(1)).green === 1, 15_000);
    assert.deepEqual(await client.tally(20), { green: 20 });

    const rolledBack = await meridianCli('rollback', '1', '--server', server, '--author', 'bob');
    assert.equal(rolledBack.code, 0, rolledBack.stderr);
    assert.match(rolledBack.stdout, /^Revision 3 \([0-9a-f]{12}\) by bob is now in force\.$/m);
    await eventually(async () => (await client.tally(1)).blue === 1, 15_000);
    assert.deepEqual(await client.tally(20), { blue: 20 });
  } finally {
    client.close();
  }

  const history = await meridianCli('history', '--server', server);
  assert.equal(history.code, 0, history.stderr);
  const rows = history.stdout.trimEnd().split('\n');
  assert.equal(rows.length, 4);
  assert.match(rows[1], /^ {2}1 .* file:.*config +first load of the watched folder$/);
  assert.match(rows[2], /^ {2}2 .* alice +move echo to green$/);
  assert.match(rows[3], /^\* 3 .* bob +rollback to revision 1 \(content of revision 1\)$/);
});

test('rejected apply keeps the revision in force', async () => {
  const running = meridian!;
  const server = serverOf(running);
  const before = running.history.list().length;
  const rejected = await meridianCli('apply', join(folder, 'broken.yaml'), '--server', server, '--message', 'typo');
  assert.equal(rejected.code, 1);
  assert.match(rejected.stderr, /broken\.yaml:6:12: error MERIDIAN_CONFIG_UNKNOWN_REFERENCE: spec\.service: unknown service "purple\.test"/);
  assert.match(rejected.stderr, /ADMIN_INVALID_POLICY/);
  assert.equal(running.history.list().length, before);
  assert.equal(running.policies.current().policies[0].service, 'blue.test');
});

test('apply rejects ServiceEndpoints documents', async () => {
  const response = await fetch(`${serverOf(meridian!)}/api/v1/policies/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ files: [{ name: 'services-only.yaml', text: servicesYaml({ blue: 1, green: 2 }) }], author: 'alice', message: 'm' }),
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { code: string; diagnostics: { code: string; line: number }[] };
  assert.equal(body.code, 'ADMIN_INVALID_POLICY');
  assert.deepEqual(
    body.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.line]),
    [
      ['MERIDIAN_CONFIG_NOT_A_POLICY', 2],
      ['MERIDIAN_CONFIG_NOT_A_POLICY', 12],
    ],
  );
});

test('apply of equal policies records nothing', async () => {
  const result = await meridianCli('apply', join(folder, 'config', 'policy.yaml'), '--server', serverOf(meridian!), '--message', 'again');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^No change: revision 3 /m);
});

test('diff against the server lists changed resources', async () => {
  const result = await meridianCli('diff', join(folder, 'green.yaml'), '--server', serverOf(meridian!));
  assert.equal(result.code, 1, result.stderr);
  const summary = result.stdout.split('\n')[0];
  assert.match(summary, /^\d+ resource change\(s\) in 4 of 4 proxy group\(s\), 0 proxies connected\.$/);
  assert.match(result.stdout, /^Cluster green\.test: added for 2 group\(s\), 0 proxies: envoy \(no locality\), envoy r1\/r1-a$/m);
  assert.match(result.stdout, /^ClusterLoadAssignment blue\.test: removed for 4 group\(s\), 0 proxies: envoy \(no locality\), envoy r1\/r1-a, grpc \(no locality\), grpc r1\/r1-a$/m);
  assert.match(result.stdout, /^RouteConfiguration echo: modified for 2 group\(s\), 0 proxies: grpc \(no locality\), grpc r1\/r1-a$/m);
  assert.match(result.stdout, /^-\s+cluster: blue\.test$/m);
  assert.match(result.stdout, /^\+\s+cluster: green\.test$/m);
});

test('admin API reports unknown revisions', async () => {
  const server = serverOf(meridian!);
  const response = await fetch(`${server}/api/v1/policies/rollback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ revision: 99, author: 'alice' }),
  });
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), { code: 'ADMIN_REVISION_NOT_FOUND', message: 'revision 99 not found; known revisions are 1 to 3' });

  const cli = await meridianCli('rollback', '99', '--server', server);
  assert.equal(cli.code, 2);
  assert.match(cli.stderr, /ADMIN_REVISION_NOT_FOUND: revision 99 not found/);

  const one = (await (await fetch(`${server}/api/v1/policies/revisions/2`)).json()) as { author: string; files: { name: string }[] };
  assert.equal(one.author, 'alice');
  assert.deepEqual(one.files.map((file) => file.name), [join(folder, 'green.yaml')]);
});

test('explain through the server names the policy', async () => {
  const result = await meridianCli('explain', 'echo', '--from', 'r1/r1-a', '--kind', 'grpc', '--server', serverOf(meridian!));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Service blue\.test for grpc clients in r1\/r1-a$/m);
  assert.match(result.stdout, /^0 +r1\/r1-a +1 +100% +1 +no health signal$/m);

  const missing = await fetch(`${serverOf(meridian!)}/api/v1/explain?service=nothing&from=r1`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'ADMIN_SERVICE_NOT_FOUND');
  const invalid = await fetch(`${serverOf(meridian!)}/api/v1/explain?service=echo&from=r1//x`);
  assert.equal(invalid.status, 400);
});

test('applied revision survives a restart', async () => {
  const applied = await meridianCli('apply', join(folder, 'green.yaml'), '--server', serverOf(meridian!), '--author', 'carol', '--message', 'green again');
  assert.equal(applied.code, 0, applied.stderr);
  await meridian!.close();
  meridian = undefined;

  const restarted = await startServer();
  const revisions = restarted.history.list();
  assert.equal(revisions.length, 4, 'an unchanged folder must not record a revision at start');
  assert.deepEqual(revisions.at(-1), { ...revisions.at(-1), id: 4, author: 'carol', inForce: true });
  assert.equal(restarted.policies.current().policies[0].service, 'green.test');

  const client = new XdsEchoClient(`127.0.0.1:${restarted.xdsPort}`, 'echo', { id: 'client-2', locality: { region: 'r1', zone: 'r1-a' } });
  try {
    await eventually(async () => (await client.tally(1)).green === 1, 15_000);
  } finally {
    client.close();
  }
});

test('folder edit after an apply becomes a revision', async () => {
  const running = meridian!;
  await writeFile(join(folder, 'config', 'policy.yaml'), `${policyYaml('blue.test')}  localityLb: { enabled: false }\n`);
  await eventually(() => running.history.list().length === 5, 10_000);
  const newest = running.history.list().at(-1)!;
  assert.match(newest.author, /^file:/);
  assert.equal(newest.inForce, true);
  assert.equal(running.policies.current().policies[0].service, 'blue.test');
});
