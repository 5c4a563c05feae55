import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  KindRegistry,
  booleanValue,
  enumValue,
  integerValue,
  listOf,
  objectOf,
  optional,
  refine,
  required,
  schemaOf,
  stringMap,
  stringValue,
  withDefault,
  withDescription,
  withSchema,
  JSON_SCHEMA_DIALECT,
  type KindDefinition,
} from '../../config';

describe('reader schemas', () => {
  test('scalars state type and range', () => {
    assert.deepEqual(schemaOf(stringValue()), { type: 'string', minLength: 1 });
    assert.deepEqual(schemaOf(stringValue({ schema: { pattern: '^/' } })), { type: 'string', minLength: 1, pattern: '^/' });
    assert.deepEqual(schemaOf(integerValue(1, 65535)), { type: 'integer', minimum: 1, maximum: 65535 });
    assert.deepEqual(schemaOf(booleanValue()), { type: 'boolean' });
    assert.deepEqual(schemaOf(enumValue(['tcp', 'http'])), { type: 'string', enum: ['tcp', 'http'] });
    assert.deepEqual(schemaOf(stringMap()), { type: 'object', additionalProperties: { type: 'string', minLength: 1 } });
  });

  test('lists describe items and emptiness', () => {
    assert.deepEqual(schemaOf(listOf(booleanValue())), { type: 'array', items: { type: 'boolean' } });
    assert.deepEqual(schemaOf(listOf(booleanValue(), { nonEmpty: true })), { type: 'array', items: { type: 'boolean' }, minItems: 1 });
  });

  test('objects list required fields and reject others', () => {
    const read = objectOf<{ port: number; protocol: string; enabled: boolean; tags: string[] | undefined }>({
      port: required(integerValue(1, 65535)),
      protocol: withDefault(enumValue(['tcp', 'http']), 'http'),
      enabled: withDefault(booleanValue(), true),
      tags: optional(listOf(stringValue())),
    });
    assert.deepEqual(schemaOf(read), {
      type: 'object',
      properties: {
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        protocol: { type: 'string', enum: ['tcp', 'http'], default: 'http' },
        enabled: { type: 'boolean', default: true },
        tags: { type: 'array', items: { type: 'string', minLength: 1 } },
      },
      additionalProperties: false,
      required: ['port'],
    });
  });

  test('fallback of another type is no default', () => {
    // A duration read from "10s" into 10000 ms: the fallback is a model value, not YAML.
    const readMilliseconds = withSchema((cursor) => (cursor.node === null ? undefined : 10_000), { type: 'string' });
    const read = objectOf<{ interval: number }>({ interval: withDefault(readMilliseconds, 10_000) });
    assert.equal((schemaOf(read).properties as Record<string, Record<string, unknown>>).interval.default, undefined);
  });

  test('refine keeps the schema of its reader', () => {
    const read = refine(integerValue(0, 9), () => undefined);
    assert.deepEqual(schemaOf(read), { type: 'integer', minimum: 0, maximum: 9 });
  });

  test('description goes before the reader description', () => {
    const duration = withSchema(stringValue(), { type: 'string', description: 'A duration such as 1s.' });
    assert.equal(schemaOf(withDescription(duration, 'Time between checks.')).description, 'Time between checks. A duration such as 1s.');
    assert.equal(schemaOf(withDescription(booleanValue(), 'Turns it on.')).description, 'Turns it on.');
  });

  test('withSchema leaves the original reader unchanged', () => {
    const base = integerValue(1, 2);
    const described = withDescription(base, 'A count.');
    assert.equal(schemaOf(base).description, undefined);
    assert.notEqual(described, base);
  });

  test('plain function has the empty schema', () => {
    assert.deepEqual(schemaOf((cursor) => cursor.node), {});
  });
});

describe('KindRegistry.jsonSchema', () => {
  const gadgetKind: KindDefinition<{ size: number }> = {
    kind: 'Gadget',
    validateSpec: () => ({ size: 1 }),
    specSchema: schemaOf(objectOf<{ size: number }>({ size: required(integerValue(1, 10)) })),
  };

  test('selects spec by kind', () => {
    const schema = new KindRegistry().register(gadgetKind).jsonSchema() as Record<string, any>;
    assert.equal(schema.$schema, JSON_SCHEMA_DIALECT);
    assert.deepEqual(schema.required, ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties.apiVersion, { type: 'string', const: 'meridian.io/v1alpha1' });
    assert.deepEqual(schema.properties.kind, { type: 'string', enum: ['Gadget'] });
    assert.deepEqual(schema.allOf, [
      { if: { required: ['kind'], properties: { kind: { const: 'Gadget' } } }, then: { properties: { spec: { $ref: '#/definitions/Gadget' } } } },
    ]);
    assert.deepEqual(schema.definitions.Gadget, gadgetKind.specSchema);
  });

  test('metadata names are DNS names', () => {
    const schema = new KindRegistry().register(gadgetKind).jsonSchema() as Record<string, any>;
    assert.deepEqual(schema.properties.metadata.required, ['name']);
    assert.equal(schema.properties.metadata.properties.name.maxLength, 253);
    const pattern = new RegExp(schema.properties.metadata.properties.name.pattern);
    assert.ok(pattern.test('checkout.shop'));
    assert.ok(!pattern.test('Checkout'));
    assert.ok(!pattern.test('-checkout'));
    assert.ok(!pattern.test(`${'a'.repeat(64)}.shop`));
  });
});
