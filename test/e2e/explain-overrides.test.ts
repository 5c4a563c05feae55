import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { runWorkflowCommand } from '../../cli/workflow-commands';
import { startMeridian, type RunningMeridian } from '../../controller';

const CONFIG = `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata: { name: orders.test }
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: 1, cluster: k8s-central, locality: { region: central, zone: central-a } }
    - { address: 127.0.0.1, port: 2, cluster: edge-site, locality: { region: edge, zone: edge-1 } }
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata: { name: orders }
spec:
  service: orders.test
  hostnames: [orders]
  timeout: 3s
  overrides:
    - clients: { region: edge }
      timeout: 800ms
      outlierDetection: { consecutive5xx: 2, interval: 1s }
    - clients: { region: edge, cluster: edge-site, metadata: { tier: gateway } }
      timeout: 300ms
`;

/** Runs a workflow command in this process and returns its exit status and output. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  err.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const code = await runWorkflowCommand(args[0], args.slice(1), out, err);
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

describe('explain with overrides', () => {
  let folder: string;
  let meridian: RunningMeridian | undefined;
  let server: string;

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'meridian-explain-'));
    await writeFile(join(folder, 'orders.yaml'), CONFIG);
    meridian = await startMeridian({
      configPaths: [folder],
      xdsAddress: '127.0.0.1:0',
      adminAddress: '127.0.0.1:0',
      logger: pino({ level: 'silent' }),
      debounceMs: 20,
      stateDir: join(folder, 'state'),
    });
    server = `http://127.0.0.1:${meridian.adminPort}`;
  });

  after(async () => {
    await meridian?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  test('admin API lists overrides of the group', async () => {
    const query = new URLSearchParams({ service: 'orders', from: 'edge/edge-1', kind: 'grpc', cluster: 'edge-site' });
    query.append('label', 'tier=gateway');
    const response = await fetch(`${server}/api/v1/explain?${query.toString()}`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { explanation: { client: unknown; overrides: { applied: { index: number }[]; changes: unknown[] } }; text: string };
    assert.deepEqual(body.explanation.client, {
      kind: 'grpc',
      locality: { region: 'edge', zone: 'edge-1', subZone: '' },
      label: 'edge/edge-1',
      cluster: 'edge-site',
      labels: { tier: 'gateway' },
    });
    assert.deepEqual(body.explanation.overrides.applied.map((override) => override.index), [0, 1]);
    assert.deepEqual(body.explanation.overrides.changes, [
      { setting: 'timeout', policyValue: '3s', effectiveValue: '300ms', override: 1 },
      { setting: 'outlierDetection', policyValue: '(not set)', effectiveValue: '{interval=1s, baseEjectionTime=30s, maxEjectionPercent=10, consecutive5xx=2}', override: 0 },
    ]);
    assert.match(body.text, /^ {2}- timeout: 3s -> 300ms \(overrides\[1\]\)$/m);
  });

  test('admin API rejects a label without value', async () => {
    const response = await fetch(`${server}/api/v1/explain?service=orders&from=edge&label=tier`);
    assert.equal(response.status, 400);
  });

  test('CLI through the server passes the group', async () => {
    const result = await run('explain', 'orders', '--from', 'edge/edge-1', '--cluster', 'edge-site', '--label', 'tier=gateway', '--server', server);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines[0], 'Service orders.test for envoy clients in edge/edge-1, cluster edge-site, labels tier=gateway');
    assert.ok(lines.includes('  - timeout: 3s -> 300ms (overrides[1])'), result.stdout);
  });

  test('CLI on files without a group', async () => {
    const result = await run('explain', 'orders', '--from', 'edge/edge-1', '--config', folder);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.ok(lines.some((line) => /^ {2}- overrides\[0\] \(.*orders\.yaml:\d+:\d+\) selects region=edge: sets timeout, outlierDetection$/.test(line)), result.stdout);
    assert.ok(lines.includes('  - timeout: 3s -> 800ms (overrides[0])'), result.stdout);
    assert.ok(!result.stdout.includes('overrides[1]'), result.stdout);
  });

  test('CLI outside the selected region', async () => {
    const result = await run('explain', 'orders', '--from', 'central/central-a', '--config', folder);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes("Overrides: none of the policy's 2 override(s) selects this group."), result.stdout);
  });

  test('CLI rejects a label without value', async () => {
    const result = await run('explain', 'orders', '--from', 'edge', '--label', 'tier', '--config', folder);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid --label "tier"; write KEY=VALUE/);
  });
});
