import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'meridian.js');

/** Runs the CLI and returns its exit code and output, without throwing on a non-zero exit. */
async function meridian(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test('serve help lists every option with its default', async () => {
  const { code, stdout } = await meridian('serve', '--help');
  assert.equal(code, 0);
  assert.match(stdout, /--config PATH/);
  assert.match(stdout, /--xds-address HOST:PORT .*\(default 127\.0\.0\.1:18000\)/);
  assert.match(stdout, /\(default 127\.0\.0\.1:18080\)/);
  assert.match(stdout, /--log-level LEVEL .*\(default info\)/);
});

test('missing command is a usage error', async () => {
  const { code, stdout, stderr } = await meridian();
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(stderr, /meridian help serve/, 'the help lists the commands');
});

test('validate accepts the bundled example', async () => {
  const { code, stdout } = await meridian('validate', 'examples');
  assert.equal(code, 0);
  assert.match(stdout, /examples: 0 error\(s\), 0 warning\(s\)/);
});

test('validate prints every error and exits 1', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'meridian-cli-'));
  try {
    const file = join(folder, 'bad.yaml');
    await writeFile(
      file,
      [
        'apiVersion: meridian.io/v1alpha1',
        'kind: ServiceEndpoints',
        'metadata: { name: web.shop }',
        'spec:',
        '  port: 70000',
        '  endpoints:',
        '    - { address: 10.0.0.1, port: 80, cluster: k8s, wieght: 2 }',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await meridian('validate', file);
    assert.equal(code, 1);
    assert.match(stdout, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:9: error \\S+: spec\\.port: `));
    assert.match(stdout, /spec\.endpoints\[0\]\.wieght: .*did you mean "weight"\?/);
    assert.match(stdout, /2 error\(s\)/);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('unknown command names the commands', async () => {
  const { code, stderr } = await meridian('server');
  assert.equal(code, 2);
  assert.match(stderr, /unknown command "server"; the commands are/);
});

test('serve without config says how to pass it', async () => {
  const { code, stderr } = await meridian('serve');
  assert.equal(code, 2);
  assert.match(stderr, /missing --config PATH/);
});

test('serve rejects an invalid OTLP endpoint', async () => {
  const { code, stderr } = await meridian('serve', '--config', 'examples', '--otlp-endpoint', 'localhost:4318');
  assert.equal(code, 2);
  assert.match(stderr, /--otlp-endpoint: invalid OTLP endpoint "localhost:4318": the scheme must be http or https .*http:\/\/127\.0\.0\.1:4318/);
});

test('serve rejects an invalid xds address', async () => {
  const { code, stderr } = await meridian('serve', '--config', 'examples', '--xds-address', 'localhost', '--log-level', 'silent');
  assert.equal(code, 1);
  assert.match(stderr, /invalid listen address "localhost": missing port/);
});

test('serve starts on the example and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', 'examples', '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0'], {
    cwd: ROOT,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line within 10 s:\n${output}`)), 10_000);
    child.stdout.on('data', () => {
      const line = output.split('\n').find((text) => text.includes('"meridian serving"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
  });
  assert.equal(started.services, 4);
  assert.equal(started.endpoints, 14);

  const response = await fetch(`http://127.0.0.1:${started.adminPort}/readyz`);
  assert.equal(response.status, 200);

  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.match(output, /"meridian stopped"/);
});
