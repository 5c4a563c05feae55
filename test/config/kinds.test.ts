import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  KindRegistry,
  integerValue,
  objectOf,
  optional,
  required,
  stringMap,
  stringValue,
  withDefault,
  booleanValue,
  listOf,
  schemaOf,
  type KindDefinition,
} from '../../config';
import { parseDocuments, type LoadedDocuments } from '../../config';
import { summarize, validateText, yaml } from './fixtures';

interface Widget {
  name: string;
  size: number;
  tags: string[] | undefined;
  labels: Record<string, string> | undefined;
  enabled: boolean;
}

const readWidget = objectOf<Omit<Widget, 'name'>>({
  size: required(integerValue(1, 10)),
  tags: optional(listOf(stringValue(), { nonEmpty: true })),
  labels: optional(stringMap()),
  enabled: withDefault(booleanValue(), true),
});

const widgetKind: KindDefinition<Widget> = {
  kind: 'Widget',
  validateSpec: (spec, header) => {
    const value = readWidget(spec);
    return value === undefined ? undefined : { name: header.name, ...value };
  },
  specSchema: schemaOf(readWidget),
};

function kinds(): KindRegistry {
  return new KindRegistry().register(widgetKind);
}

function widget(...specLines: string[]): string {
  return yaml('apiVersion: meridian.io/v1alpha1', 'kind: Widget', 'metadata:', '  name: w1', 'spec:', ...specLines);
}

describe('KindRegistry', () => {
  test('validates a document into a value', () => {
    const registry = kinds();
    const result = registry.validate({ files: [], documents: [], diagnostics: [] });
    assert.deepEqual(result.set.of(widgetKind), []);
    assert.deepEqual(validateText(widget('  size: 3'), registry), []);
  });

  test('applies defaults', () => {
    const registry = kinds();
    const diagnostics = validateText(widget('  size: 3'), registry);
    assert.deepEqual(diagnostics, []);
  });

  test('rejects registering a kind twice', () => {
    assert.throws(() => kinds().register(widgetKind), /kind "Widget" is already registered/);
  });

  const cases: Array<{ name: string; text: string; expected: ReturnType<typeof summarize>[] }> = [
    {
      name: 'wrong apiVersion',
      text: yaml('apiVersion: meridian.io/v1', 'kind: Widget', 'metadata: { name: w1 }', 'spec: { size: 1 }'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNSUPPORTED_API_VERSION',
          line: 1,
          column: 13,
          path: 'apiVersion',
          message: 'unsupported apiVersion "meridian.io/v1"; expected "meridian.io/v1alpha1"',
        },
      ],
    },
    {
      name: 'kind with a typo',
      text: yaml('apiVersion: meridian.io/v1alpha1', 'kind: Widgte', 'metadata: { name: w1 }', 'spec: { size: 1 }'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNKNOWN_KIND',
          line: 2,
          column: 7,
          path: 'kind',
          message: 'unknown kind "Widgte"; did you mean "Widget"? (known kinds: Widget)',
        },
      ],
    },
    {
      name: 'missing spec and metadata',
      text: yaml('apiVersion: meridian.io/v1alpha1', 'kind: Widget'),
      expected: [
        { code: 'MERIDIAN_CONFIG_MISSING_FIELD', line: 1, column: 1, path: 'metadata', message: 'required field "metadata" is missing' },
        { code: 'MERIDIAN_CONFIG_MISSING_FIELD', line: 1, column: 1, path: 'spec', message: 'required field "spec" is missing' },
      ],
    },
    {
      name: 'document that is not a mapping',
      text: yaml('- a', '- b'),
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 1, column: 1, path: '', message: 'expected a mapping, got a list' }],
    },
    {
      name: 'unknown top-level field',
      text: yaml('apiVersion: meridian.io/v1alpha1', 'kind: Widget', 'metadata: { name: w1 }', 'specs: { size: 1 }'),
      expected: [
        { code: 'MERIDIAN_CONFIG_MISSING_FIELD', line: 1, column: 1, path: 'spec', message: 'required field "spec" is missing' },
        { code: 'MERIDIAN_CONFIG_UNKNOWN_FIELD', line: 4, column: 1, path: 'specs', message: 'unknown field "specs"; did you mean "spec"?' },
      ],
    },
    {
      name: 'name that is not a DNS name',
      text: yaml('apiVersion: meridian.io/v1alpha1', 'kind: Widget', 'metadata: { name: My_Widget }', 'spec: { size: 1 }'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_INVALID_VALUE',
          line: 3,
          column: 19,
          path: 'metadata.name',
          message: '"My_Widget" is not a valid DNS name; labels use lowercase letters, digits and "-", and start and end with a letter or digit',
        },
      ],
    },
    {
      name: 'integer as a string',
      text: widget('  size: "3"'),
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 6, column: 9, path: 'spec.size', message: 'expected an integer from 1 to 10, got string "3"' }],
    },
    {
      name: 'integer out of range',
      text: widget('  size: 11'),
      expected: [{ code: 'MERIDIAN_CONFIG_OUT_OF_RANGE', line: 6, column: 9, path: 'spec.size', message: '11 is out of range; expected an integer from 1 to 10' }],
    },
    {
      name: 'fraction where an integer is expected',
      text: widget('  size: 2.5'),
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 6, column: 9, path: 'spec.size', message: 'expected an integer from 1 to 10, got number 2.5' }],
    },
    {
      name: 'boolean as a string',
      text: widget('  size: 1', '  enabled: "yes"'),
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 7, column: 12, path: 'spec.enabled', message: 'expected true or false, got string "yes"' }],
    },
    {
      name: 'empty list',
      text: widget('  size: 1', '  tags: []'),
      expected: [{ code: 'MERIDIAN_CONFIG_EMPTY_LIST', line: 7, column: 9, path: 'spec.tags', message: 'the list is empty; at least one item is required' }],
    },
    {
      name: 'number in a string map',
      text: widget('  size: 1', '  labels: { version: 2 }'),
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 7, column: 22, path: 'spec.labels.version', message: 'expected a string, got number 2' }],
    },
    {
      name: 'several errors in one spec',
      text: widget('  size: 0', '  tags: [a, 7]', '  colour: red'),
      expected: [
        { code: 'MERIDIAN_CONFIG_OUT_OF_RANGE', line: 6, column: 9, path: 'spec.size', message: '0 is out of range; expected an integer from 1 to 10' },
        { code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 7, column: 13, path: 'spec.tags[1]', message: 'expected a string, got number 7' },
        { code: 'MERIDIAN_CONFIG_UNKNOWN_FIELD', line: 8, column: 3, path: 'spec.colour', message: 'unknown field "colour"' },
      ],
    },
    {
      name: 'duplicate name',
      text: `${widget('  size: 1')}---\n${widget('  size: 2')}`,
      expected: [
        {
          code: 'MERIDIAN_CONFIG_DUPLICATE_NAME',
          line: 11,
          column: 9,
          path: 'metadata.name',
          message: 'duplicate Widget name "w1"; meridian.yaml:4:9 already defines it',
        },
      ],
    },
  ];

  for (const testCase of cases) {
    test(`reports ${testCase.name}`, () => {
      assert.deepEqual(validateText(testCase.text, kinds()).map(summarize), testCase.expected);
    });
  }

  test('set checks see valid documents', () => {
    const seen: string[] = [];
    const registry = kinds().addSetCheck((set) => seen.push(...set.of(widgetKind).map((document) => document.name)));
    validateText(`${widget('  size: 1')}---\n${widget('  size: 0').replace('w1', 'w2')}`, registry);
    assert.deepEqual(seen, ['w1']);
  });
});

describe('KindRegistry.validate results', () => {
  /** Returns one loaded file with a valid widget and an invalid one, as `loadDocuments` would. */
  function loadedWidgets(): LoadedDocuments {
    const parsed = parseDocuments('w.yaml', `${widget('  size: 1')}---\n${widget('  size: 0').replace('w1', 'w2')}`);
    return { files: ['w.yaml'], documents: parsed.documents, diagnostics: parsed.diagnostics };
  }

  /** Returns a registry that counts how often it validated a set, through a set check. */
  function countingKinds(): { registry: KindRegistry; validations: () => number } {
    let count = 0;
    const registry = kinds().addSetCheck(() => count++);
    return { registry, validations: () => count };
  }

  test('validates one set once', () => {
    const { registry, validations } = countingKinds();
    const loaded = loadedWidgets();
    const first = registry.validate(loaded);
    const second = registry.validate(loaded);
    assert.equal(validations(), 1);
    assert.equal(second.set, first.set);
    assert.deepEqual(second.diagnostics, first.diagnostics);
    assert.equal(first.diagnostics.length, 1);
  });

  test('validates an equal set again', () => {
    const { registry, validations } = countingKinds();
    registry.validate(loadedWidgets());
    registry.validate(loadedWidgets());
    assert.equal(validations(), 2);
  });

  test('returned list is a copy', () => {
    const { registry } = countingKinds();
    const loaded = loadedWidgets();
    const first = registry.validate(loaded);
    const expected = structuredClone(first.diagnostics);
    first.diagnostics.length = 0;
    assert.deepEqual(registry.validate(loaded).diagnostics, expected);
  });

  test('returned diagnostics are frozen', () => {
    const { registry } = countingKinds();
    const loaded = loadedWidgets();
    const [diagnostic] = registry.validate(loaded).diagnostics;
    assert.ok(Object.isFrozen(diagnostic));
    assert.throws(() => {
      diagnostic.line = 99;
    }, TypeError);
    assert.equal(registry.validate(loaded).diagnostics[0].line, diagnostic.line);
  });

  test('register and addSetCheck drop results', () => {
    const { registry, validations } = countingKinds();
    const loaded = loadedWidgets();
    registry.validate(loaded);
    let checks = 0;
    registry.addSetCheck(() => checks++);
    registry.validate(loaded);
    assert.equal(validations(), 2);
    assert.equal(checks, 1);

    registry.register({ ...widgetKind, kind: 'Gadget' });
    registry.validate(loaded);
    assert.equal(validations(), 3);
  });
});
