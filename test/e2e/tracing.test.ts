import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { startTracing, type Tracing } from '../../telemetry';
import { TYPE_URL } from '../../xds';
import { waitFor } from '../config/fixtures';
import { policyYaml, serviceYaml, yamlFile } from '../helpers/mesh-yaml';
import { XdsDriver } from '../helpers/xds-driver';

function meshYaml(port: number): string {
  return yamlFile(
    serviceYaml('echo.test', [
      { port: 50051, cluster: 'k8s-r1', region: 'r1', zone: 'r1-a' },
      { port, cluster: 'k8s-r1', region: 'r1', zone: 'r1-b' },
    ]),
    policyYaml('echo', 'echo.test', ['echo']),
  );
}

const NODE = { id: 'sidecar-traced', cluster: 'shop', locality: { region: 'r1', zone: 'r1-a' } };
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let folder: string;
let meridian: RunningMeridian;

/** Writes the config under another name and renames it into place, as editors save. */
async function writeMesh(port: number): Promise<void> {
  await writeFile(join(folder, '.mesh.yaml.tmp'), meshYaml(port));
  await rename(join(folder, '.mesh.yaml.tmp'), join(folder, 'mesh.yaml'));
}

const spansNamed = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((span) => span.name === name);

before(async () => {
  tracing = startTracing({ exporter, exportEachSpan: true });
  folder = await mkdtemp(join(tmpdir(), 'meridian-tracing-'));
  await writeMesh(50052);
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
  await tracing?.shutdown();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('endpoint edit traces from reload to push', async () => {
  const client = new XdsDriver('sotw', `127.0.0.1:${meridian.xdsPort}`, NODE);
  client.subscribe(TYPE_URL.cluster);
  client.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
  await client.settle();
  exporter.reset();

  await writeMesh(50062);
  await waitFor(() => spansNamed('meridian.recompute').some((span) => span.events.length > 0));
  await client.settle();

  const [reload] = spansNamed('meridian.config.reload');
  const [update] = spansNamed('meridian.registry.update');
  const recompute = spansNamed('meridian.recompute').find((span) => span.events.length > 0)!;
  assert.ok(reload !== undefined, 'the file edit has a reload span');
  assert.ok(update !== undefined, 'the registry change has a span');
  assert.equal(update.parentSpanContext?.spanId, reload.spanContext().spanId, 'the registry update happens within the reload');
  assert.equal(update.attributes['meridian.registry.services'], 1);

  // The recompute runs later, after the quiet period, so it is linked to its cause, not nested.
  assert.deepEqual(
    recompute.links.map((link) => link.context.spanId),
    [update.spanContext().spanId],
  );
  assert.equal(recompute.parentSpanContext, undefined, 'the recompute starts a trace of its own');
  assert.notEqual(recompute.spanContext().traceId, update.spanContext().traceId);
  assert.deepEqual(recompute.attributes['meridian.reasons'], ['registry']);
  assert.match(String(recompute.attributes['meridian.cause']), /^registry=\d+ policy=[0-9a-f]{12}$/);
  assert.equal(recompute.attributes['meridian.changed_groups'], 1);
  const [published] = recompute.events;
  assert.equal(published!.name, 'snapshot published');
  assert.deepEqual(published!.attributes!['meridian.xds.type_urls'], [TYPE_URL.clusterLoadAssignment]);
  assert.equal(published!.attributes!['meridian.streams'], 1);
  client.close();
});

test('NACK has a span with its details', async () => {
  const client = new XdsDriver('sotw', `127.0.0.1:${meridian.xdsPort}`, { ...NODE, id: 'sidecar-nack' });
  client.subscribe(TYPE_URL.cluster);
  client.subscribe(TYPE_URL.clusterLoadAssignment, ['echo.test']);
  await client.settle();
  exporter.reset();

  await writeMesh(50072);
  const response = await client.next(5000);
  client.nack(response, 'rejected by the test');
  await waitFor(() => spansNamed('meridian.xds.nack').length > 0);

  const [nack] = spansNamed('meridian.xds.nack');
  assert.equal(nack!.attributes['meridian.node_id'], 'sidecar-nack');
  assert.equal(nack!.attributes['meridian.xds.type_url'], TYPE_URL.clusterLoadAssignment);
  assert.equal(nack!.attributes['meridian.xds.error_detail'], 'rejected by the test');
  assert.deepEqual(nack!.attributes['meridian.xds.rejected_resources'], ['echo.test']);
  assert.match(String(nack!.attributes['meridian.cause']), /^registry=\d+ policy=/);
  client.close();
});

/** Reads a request body as text. */
async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('serve exports spans over OTLP/HTTP', async () => {
  // A collector on loopback that keeps every request it receives.
  const received: { path: string; contentType: string; body: string }[] = [];
  const collector = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      received.push({ path: request.url ?? '', contentType: request.headers['content-type'] ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const collectorPort = (collector.address() as AddressInfo).port;
  const configFolder = await mkdtemp(join(tmpdir(), 'meridian-otlp-'));
  await writeFile(join(configFolder, 'mesh.yaml'), meshYaml(50052));

  const child = spawn(
    process.execPath,
    [
      join(__dirname, '..', '..', '..', 'bin', 'meridian.js'),
      'serve',
      '--config', configFolder,
      '--xds-address', '127.0.0.1:0',
      '--admin-address', '127.0.0.1:0',
      '--state-dir', join(configFolder, 'state'),
      '--otlp-endpoint', `http://127.0.0.1:${collectorPort}`,
      '--debounce-ms', '20',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitFor(() => output.includes('meridian serving'), 10_000);
    await writeFile(join(configFolder, '.mesh.yaml.tmp'), meshYaml(50062));
    await rename(join(configFolder, '.mesh.yaml.tmp'), join(configFolder, 'mesh.yaml'));
    await waitFor(() => output.includes('registry updated'), 10_000);
  } finally {
    // The batch exporter sends what is left when the process stops.
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    collector.close();
    await rm(configFolder, { recursive: true, force: true });
  }

  assert.ok(received.length > 0, `the collector received no request; server output:\n${output}`);
  assert.equal(received[0]!.path, '/v1/traces');
  assert.match(received[0]!.contentType, /application\/json/);
  const names = received.flatMap((request) => [...request.body.matchAll(/"name":"(meridian\.[a-z.]+)"/g)].map((match) => match[1]));
  assert.ok(names.includes('meridian.config.reload'), `spans sent: ${names.join(', ')}`);
  assert.ok(names.includes('meridian.registry.update'), `spans sent: ${names.join(', ')}`);
  assert.match(received.map((request) => request.body).join(''), /"service\.name","value":\{"stringValue":"meridian"\}/);
});
