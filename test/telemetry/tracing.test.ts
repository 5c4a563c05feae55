import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { linkToActiveSpan, otlpEndpointFromEnvironment, parseOtlpEndpoint, startTracing, withSpan, type Tracing } from '../../telemetry';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;

before(() => {
  tracing = startTracing({ exporter, exportEachSpan: true });
});

after(async () => {
  await tracing.shutdown();
});

test('OTLP endpoint gets the traces path', () => {
  assert.equal(parseOtlpEndpoint('http://127.0.0.1:4318'), 'http://127.0.0.1:4318/v1/traces');
  assert.equal(parseOtlpEndpoint('https://collector.example:4318/'), 'https://collector.example:4318/v1/traces');
  assert.equal(parseOtlpEndpoint('http://127.0.0.1:4318/custom/traces'), 'http://127.0.0.1:4318/custom/traces');
});

test('invalid OTLP endpoints are rejected', () => {
  assert.throws(() => parseOtlpEndpoint('127.0.0.1:4318'), /invalid OTLP endpoint "127\.0\.0\.1:4318": not a URL; write it as http:\/\/HOST:PORT/);
  assert.throws(() => parseOtlpEndpoint('http://127.0.0.1:99999'), /not a URL; write it as http:\/\/HOST:PORT with a port from 1 to 65535/);
  assert.throws(() => parseOtlpEndpoint('localhost:4318'), /invalid OTLP endpoint "localhost:4318": the scheme must be http or https \(OTLP over HTTP\); write it as http:\/\/HOST:PORT/);
  assert.throws(() => parseOtlpEndpoint('collector'), /invalid OTLP endpoint "collector": not a URL/);
  assert.throws(() => parseOtlpEndpoint('grpc://127.0.0.1:4317'), /the scheme must be http or https/);
});

test('OTLP endpoint from the environment', () => {
  assert.equal(otlpEndpointFromEnvironment({}), undefined);
  assert.equal(otlpEndpointFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }), 'http://127.0.0.1:4318/v1/traces');
  assert.equal(otlpEndpointFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/otlp' }), 'http://127.0.0.1:4318/otlp/v1/traces');
  assert.equal(
    otlpEndpointFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/custom' }),
    'http://127.0.0.1:4318/custom',
    'the traces variable wins and is used as it is',
  );
  assert.throws(() => otlpEndpointFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'nonsense' }), /^Error: OTEL_EXPORTER_OTLP_ENDPOINT: invalid OTLP endpoint "nonsense": not a URL/);
});

test('withSpan nests and links spans', () => {
  exporter.reset();
  let link: ReturnType<typeof linkToActiveSpan>;
  const value = withSpan('outer', { 'test.kind': 'outer' }, () => {
    withSpan('inner', {}, () => {
      link = linkToActiveSpan();
    });
    return 42;
  });
  assert.equal(value, 42);
  withSpan('linked', {}, () => undefined, { links: [link!] });

  const spans = exporter.getFinishedSpans();
  const byName = new Map(spans.map((span) => [span.name, span]));
  assert.deepEqual([...byName.keys()].sort(), ['inner', 'linked', 'outer']);
  assert.equal(byName.get('inner')!.parentSpanContext?.spanId, byName.get('outer')!.spanContext().spanId);
  assert.equal(byName.get('outer')!.attributes['test.kind'], 'outer');
  assert.equal(byName.get('linked')!.links[0]!.context.spanId, byName.get('inner')!.spanContext().spanId);
  assert.equal(linkToActiveSpan(), undefined, 'no span is active outside withSpan');
});

test('withSpan ends async spans and records errors', async () => {
  exporter.reset();
  const value = await withSpan('async', {}, async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return 'done';
  });
  assert.equal(value, 'done');
  await assert.rejects(
    withSpan('failing', {}, async () => {
      throw new Error('reload failed');
    }),
    /reload failed/,
  );
  assert.throws(() => withSpan('throwing', {}, () => { throw new Error('sync failure'); }), /sync failure/);

  const spans = new Map(exporter.getFinishedSpans().map((span) => [span.name, span]));
  assert.equal(spans.get('async')!.status.code, SpanStatusCode.UNSET);
  assert.ok(spans.get('async')!.duration[1] > 0 || spans.get('async')!.duration[0] > 0, 'the async span lasts until its promise settles');
  assert.equal(spans.get('failing')!.status.code, SpanStatusCode.ERROR);
  assert.equal(spans.get('failing')!.status.message, 'reload failed');
  assert.equal(spans.get('throwing')!.events[0]!.name, 'exception');
});
