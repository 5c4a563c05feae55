import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { runWorkflowCommand } from '../../cli/workflow-commands';

// Compiled tests run from dist/test/cli, so the repository root is three folders up.
const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

let folder: string;

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'meridian-cli-workflow-'));
});

after(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Runs a workflow command in this process and returns its exit status and output. */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  out.on('data', (chunk: Buffer) => chunks.stdout.push(chunk));
  err.on('data', (chunk: Buffer) => chunks.stderr.push(chunk));
  const [command, ...rest] = args;
  const code = await runWorkflowCommand(command, rest, out, err);
  return { code, stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() };
}

const EDGE_FAILOVER_DIFF = `1 resource change(s) in 2 of 20 proxy group(s), 0 proxies connected.

ClusterLoadAssignment inventory.shop: modified for 2 group(s), 0 proxies: envoy edge-tokyo/edge-tokyo-1, grpc edge-tokyo/edge-tokyo-1
--- in force/ClusterLoadAssignment/inventory.shop
+++ candidate/ClusterLoadAssignment/inventory.shop
@@ -1,8 +1,8 @@
 cluster_name: inventory.shop
 endpoints:
   - locality:
-      region: central
-      zone: central-a
+      region: eu-west
+      zone: eu-west-1b
     priority: 0
     load_balancing_weight:
       value: 1
@@ -11,14 +11,14 @@
           address:
             socket_address:
               address: 127.0.0.1
-              port_value: 50061
+              port_value: 50063
         load_balancing_weight:
           value: 1
         health_status: HEALTHY
   - locality:
       region: central
-      zone: central-b
-    priority: 0
+      zone: central-a
+    priority: 1
     load_balancing_weight:
       value: 1
     lb_endpoints:
@@ -26,13 +26,13 @@
           address:
             socket_address:
               address: 127.0.0.1
-              port_value: 50062
+              port_value: 50061
         load_balancing_weight:
           value: 1
         health_status: HEALTHY
   - locality:
-      region: eu-west
-      zone: eu-west-1b
+      region: central
+      zone: central-b
     priority: 1
     load_balancing_weight:
       value: 1
@@ -41,7 +41,7 @@
           address:
             socket_address:
               address: 127.0.0.1
-              port_value: 50063
+              port_value: 50062
         load_balancing_weight:
           value: 1
         health_status: HEALTHY
`;

test('diff of an edge failover edit', async () => {
  const text = await readFile(join(EXAMPLES, 'policies.yaml'), 'utf8');
  const edited = text.replace(/(name: inventory[\s\S]*?from: edge-tokyo\n\s+to: )\[central, eu-west\]/, '$1[eu-west, central]');
  assert.notEqual(edited, text, 'the example must still have the inventory failover rule this test edits');
  const file = join(folder, 'policies.yaml');
  await writeFile(file, edited);

  const result = await run('diff', file, '--against', EXAMPLES);
  assert.equal(result.stderr, '');
  assert.equal(result.code, 1);
  assert.equal(result.stdout, EDGE_FAILOVER_DIFF);
});

test('diff of unchanged examples', async () => {
  const result = await run('diff', join(EXAMPLES, 'policies.yaml'), '--against', EXAMPLES);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, 'No resource changes in 20 proxy group(s).\n');
});

test('diff of invalid policies prints diagnostics', async () => {
  const file = join(folder, 'invalid.yaml');
  await writeFile(file, 'apiVersion: meridian.io/v1alpha1\nkind: TrafficPolicy\nmetadata: { name: x }\nspec: { service: nowhere.shop, hostnames: [x] }\n');
  const result = await run('diff', file, '--against', EXAMPLES);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /invalid\.yaml:4:18: error MERIDIAN_CONFIG_UNKNOWN_REFERENCE: spec\.service: unknown service "nowhere\.shop"/);
});

test('explain of an edge locality', async () => {
  const result = await run('explain', 'inventory', '--from', 'edge-tokyo/edge-tokyo-1', '--config', EXAMPLES);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.equal(lines[0], 'Service inventory.shop for envoy clients in edge-tokyo/edge-tokyo-1');
  assert.match(lines[1], /^Policy: inventory \(.*policies\.yaml:\d+:1\), hostnames: inventory, inventory\.shop\.svc\.cluster\.local$/);
  assert.deepEqual(lines.slice(2, 10), [
    'Locality load balancing: enabled, failover from edge-tokyo to central, eu-west',
    'Overprovisioning factor: 140, panic threshold: 50%',
    '',
    'priority  locality            weight  share  endpoints  health',
    '0         central/central-a   1       50%    1          no health signal',
    '0         central/central-b   1       50%    1          no health signal',
    '1         eu-west/eu-west-1b  1       100%   1          no health signal',
    '',
  ]);
  assert.ok(
    lines.includes(
      "  - Envoy: eu-west/eu-west-1b (priority 1) takes over part of the traffic when fewer than 71.4% of central/central-a + central/central-b's 2 endpoint(s) are healthy (here: when 1 of its 2 endpoint(s) fail), and all of it when none is.",
    ),
  );
  assert.ok(lines.some((line) => line.startsWith('  - Failover has no health signal behind it')));
  assert.ok(lines.some((line) => line.startsWith('  - gRPC clients ignore the overprovisioning factor (140)')));
});

test('explain of one priority has nothing to fail over to', async () => {
  const result = await run('explain', 'payments.shop', '--from', 'central/central-a', '--kind', 'grpc', '--config', EXAMPLES);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /No other priority exists/);
  assert.doesNotMatch(result.stdout, /Failover has no health signal/);
});

test('explain of an unknown service', async () => {
  const result = await run('explain', 'nothing', '--from', 'central', '--config', EXAMPLES);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /service "nothing" not found in .*; known services: /);
});

test('workflow usage errors', async () => {
  const cases: [string[], RegExp][] = [
    [['explain', 'x', '--config', EXAMPLES], /missing --from REGION\/ZONE/],
    [['explain', 'x', '--from', 'a//b', '--config', EXAMPLES], /invalid --from "a\/\/b"/],
    [['explain', 'x', '--from', 'a', '--kind', 'istio', '--config', EXAMPLES], /invalid --kind "istio"; use envoy or grpc/],
    [['apply', 'policies.yaml'], /missing --message TEXT/],
    [['rollback', 'latest'], /expected one revision id/],
    [['diff'], /missing PATH/],
    [['diff', 'x.yaml', '--server', 'ftp://host'], /invalid --server "ftp:\/\/host"/],
    [['history', '--verbose'], /Unknown option '--verbose'/],
  ];
  for (const [args, expected] of cases) {
    const result = await run(...args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, expected, args.join(' '));
  }
});

test('history reports an unreachable server', async () => {
  const result = await run('history', '--server', 'http://127.0.0.1:1');
  assert.equal(result.code, 2);
  assert.match(result.stderr, /cannot reach the admin API at http:\/\/127\.0\.0\.1:1: .*; start 'meridian serve' or pass --server URL/);
});
