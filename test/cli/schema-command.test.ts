import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import { parseAllDocuments } from 'yaml';
import { runSchemaCommand, schemaText } from '../../cli/schema-command';
import { createConfigKinds } from '../../policy';
import { validateText } from '../config/fixtures';

// Compiled tests run from dist/test/cli, three levels below the repository root.
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SCHEMA_FILE = path.join(ROOT, 'schema', 'meridian.schema.json');
const EXAMPLE_FILES = ['services.yaml', 'policies.yaml'].map((name) => path.join(ROOT, 'examples', name));

function compileSchema() {
  // strictRequired is off because the one-of rules name fields in `required` inside `oneOf`,
  // `anyOf` and `not`, which is valid JSON Schema that ajv's strict mode lints.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  return ajv.compile(JSON.parse(schemaText()));
}

function documentsOf(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => document.toJS());
}

/** Yields every object node of the schema with its JSON pointer. */
function* nodesOf(node: unknown, pointer = ''): Generator<[string, Record<string, unknown>]> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const [index, item] of node.entries()) yield* nodesOf(item, `${pointer}/${index}`);
    return;
  }
  yield [pointer, node as Record<string, unknown>];
  for (const [key, value] of Object.entries(node)) yield* nodesOf(value, `${pointer}/${key}`);
}

const SERVICE = [
  'apiVersion: meridian.io/v1alpha1',
  'kind: ServiceEndpoints',
  'metadata: { name: checkout.shop }',
  'spec:',
  '  port: 8080',
  '  endpoints:',
  '    - { address: 10.0.0.1, port: 8080, cluster: k1, locality: { region: eu-west, zone: eu-west-1a }, labels: { version: v1 } }',
];

const POLICY = [
  'apiVersion: meridian.io/v1alpha1',
  'kind: TrafficPolicy',
  'metadata: { name: checkout }',
  'spec:',
  '  service: checkout.shop',
  '  hostnames: [checkout]',
];

/** Invalid documents that both the schema and `meridian validate` reject, with the schema keyword that fails. */
const INVALID: Array<{ name: string; lines: string[]; keyword: string; instancePath: string }> = [
  { name: 'wrong apiVersion', lines: [...POLICY.map((line) => line.replace('v1alpha1', 'v1'))], keyword: 'const', instancePath: '/apiVersion' },
  { name: 'unknown kind', lines: [...POLICY.map((line) => line.replace('TrafficPolicy', 'TrafficPolcy'))], keyword: 'enum', instancePath: '/kind' },
  { name: 'uppercase metadata name', lines: [...POLICY.map((line) => line.replace('name: checkout }', 'name: Checkout }'))], keyword: 'pattern', instancePath: '/metadata/name' },
  { name: 'unknown spec field', lines: [...POLICY, '  timeuot: 1s'], keyword: 'additionalProperties', instancePath: '/spec' },
  { name: 'missing hostnames', lines: POLICY.slice(0, 5), keyword: 'required', instancePath: '/spec' },
  { name: 'unknown algorithm', lines: [...POLICY, '  loadBalancer: { algorithm: roundrobin }'], keyword: 'enum', instancePath: '/spec/loadBalancer/algorithm' },
  { name: 'duration without unit', lines: [...POLICY, '  timeout: "10"'], keyword: 'pattern', instancePath: '/spec/timeout' },
  { name: 'percentage above 100', lines: [...POLICY, '  fault: { abort: { grpcStatus: 14, percent: 101 } }'], keyword: 'maximum', instancePath: '/spec/fault/abort/percent' },
  { name: 'two abort statuses', lines: [...POLICY, '  fault: { abort: { grpcStatus: 14, httpStatus: 503, percent: 5 } }'], keyword: 'oneOf', instancePath: '/spec/fault/abort' },
  { name: 'empty retryOn', lines: [...POLICY, '  retries: { retryOn: [] }'], keyword: 'minItems', instancePath: '/spec/retries/retryOn' },
  { name: 'outlier detection without detector', lines: [...POLICY, '  outlierDetection: { interval: 5s }'], keyword: 'anyOf', instancePath: '/spec/outlierDetection' },
  { name: 'failover and distribute together', lines: [...POLICY, '  localityLb:', '    failover: [{ from: eu-west, to: [central] }]', '    distribute: [{ from: eu-west, to: { eu-west: 100 } }]'], keyword: 'not', instancePath: '/spec/localityLb' },
  { name: 'invalid locality pattern', lines: [...POLICY, '  localityLb:', '    distribute: [{ from: "eu-west//a", to: { eu-west: 100 } }]'], keyword: 'pattern', instancePath: '/spec/localityLb/distribute/0/from' },
  { name: 'override selecting every proxy', lines: [...POLICY, '  overrides: [{ clients: {}, timeout: 1s }]'], keyword: 'anyOf', instancePath: '/spec/overrides/0/clients' },
  { name: 'override setting nothing', lines: [...POLICY, '  overrides: [{ clients: { region: eu-west } }]'], keyword: 'anyOf', instancePath: '/spec/overrides/0' },
  { name: 'route with subset and split', lines: [...POLICY, '  subsets: [{ name: v1, labels: { version: v1 } }]', '  routes: [{ name: r, subset: v1, split: [{ subset: v1, weight: 100 }] }]'], keyword: 'not', instancePath: '/spec/routes/0' },
  { name: 'port out of range', lines: [...SERVICE.map((line) => line.replace('port: 8080\n', '')).slice(0, 4), '  port: 70000', ...SERVICE.slice(5)], keyword: 'maximum', instancePath: '/spec/port' },
  { name: 'endpoint without cluster', lines: [...SERVICE.slice(0, 6), '    - { address: 10.0.0.1, port: 8080 }'], keyword: 'required', instancePath: '/spec/endpoints/0' },
];

describe('meridian schema', () => {
  test('committed copy is up to date', () => {
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    assert.equal(committed, schemaText(), 'schema/meridian.schema.json differs from the readers; run: node bin/meridian.js schema --output schema/meridian.schema.json');
  });

  test('every field is described by its reader', () => {
    const schema = JSON.parse(schemaText());
    const empty = [...nodesOf(schema)].filter(([, node]) => Object.keys(node).length === 0).map(([pointer]) => pointer);
    assert.deepEqual(empty, [], 'a reader without a schema accepts anything; wrap it with withSchema');
    const properties = [...nodesOf(schema)].filter(([pointer]) => /\/properties\/[^/]+$/.test(pointer));
    const untyped = properties.filter(([, node]) => !('type' in node) && !('const' in node) && !('$ref' in node)).map(([pointer]) => pointer);
    assert.deepEqual(untyped.filter((pointer) => !pointer.includes('/if/') && !pointer.includes('/anyOf/')), []);
  });

  test('strict ajv compiles it', () => {
    assert.doesNotThrow(() => compileSchema());
  });

  test('accepts every example document', () => {
    const validate = compileSchema();
    for (const file of EXAMPLE_FILES) {
      const documents = documentsOf(fs.readFileSync(file, 'utf8'));
      assert.ok(documents.length > 0, `${file} has no document`);
      documents.forEach((document, index) => {
        const valid = validate(document);
        assert.equal(valid, true, `${path.basename(file)} document ${index}: ${JSON.stringify(validate.errors)}`);
      });
    }
  });

  test('accepts the minimal documents', () => {
    const validate = compileSchema();
    for (const lines of [SERVICE, POLICY]) {
      assert.equal(validate(documentsOf(lines.join('\n'))[0]), true, JSON.stringify(validate.errors));
    }
  });

  for (const { name, lines, keyword, instancePath } of INVALID) {
    test(`rejects ${name}`, () => {
      const validate = compileSchema();
      const document = documentsOf(lines.join('\n'))[0];
      assert.equal(validate(document), false, 'the schema accepted the document');
      const errors = (validate.errors ?? []).map((error) => `${error.keyword} ${error.instancePath}`);
      assert.ok(errors.includes(`${keyword} ${instancePath}`), `expected "${keyword} ${instancePath}" among ${JSON.stringify(errors)}`);

      const text = [...SERVICE, '---', ...lines].join('\n');
      const diagnostics = validateText(`${text}\n`, createConfigKinds()).filter((diagnostic) => diagnostic.severity === 'error');
      assert.ok(diagnostics.length > 0, 'meridian validate accepted the document');
    });
  }

  test('--output writes the same text', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'meridian-schema-'));
    try {
      const file = path.join(folder, 'meridian.schema.json');
      const code = await runSchemaCommand(['--output', file], new PassThrough(), new PassThrough());
      assert.equal(code, 0);
      assert.equal(fs.readFileSync(file, 'utf8'), schemaText());
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  test('prints the schema to standard output', async () => {
    const out = new PassThrough();
    const code = await runSchemaCommand([], out, new PassThrough());
    assert.equal(code, 0);
    assert.equal(out.read().toString(), schemaText());
  });

  test('unknown option is a usage error', async () => {
    const err = new PassThrough();
    const code = await runSchemaCommand(['--out'], new PassThrough(), err);
    assert.equal(code, 2);
    assert.match(err.read().toString(), /Unknown option '--out'.*meridian schema --help/);
  });
});
