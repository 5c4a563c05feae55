import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Diagnostic, Severity } from './diagnostics';
import { positionOf, resolveNode, type ConfigDocument } from './documents';
import { createDiagnostic, type ConfigErrorCode } from './errors';
import { didYouMean, listKnown } from './suggest';

/** Collects the diagnostics of one document while its fields are read. */
export class ValidationContext {
  constructor(
    readonly document: ConfigDocument,
    readonly diagnostics: Diagnostic[] = [],
  ) {}

  /** Records a diagnostic at the cursor's node, or at its anchor when the node is missing. */
  report(code: ConfigErrorCode, cursor: Cursor, message: string, options: ReportOptions = {}): void {
    const position = positionOf(this.document, cursor.node ?? cursor.anchor);
    const value = 'value' in options ? options.value : plainValue(cursor.node);
    this.diagnostics.push(
      createDiagnostic(code, {
        file: this.document.file,
        line: position.line,
        column: position.column,
        path: cursor.path,
        value,
        message,
        fix: options.fix,
        severity: options.severity,
      }),
    );
  }

  /** Number of errors so far; readers compare it before and after to learn whether a part was valid. */
  errorCount(): number {
    return this.diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  }
}

/** Overrides for one reported diagnostic. */
export interface ReportOptions {
  value?: unknown;
  fix?: string;
  severity?: Severity;
}

/** A position in a document while it is read: the value node and its field path. */
export interface Cursor {
  readonly context: ValidationContext;
  readonly path: string;
  /** The value, or null when the field is absent or empty. */
  readonly node: Node | null;
  /** Diagnostic position when `node` is null: the key or mapping that lacks the value. */
  readonly anchor: Node | null;
}

/**
 * A JSON Schema (draft-07) fragment: what a reader accepts, for editors. It states types, enums,
 * ranges, patterns and required fields. Rules between values (sums, references, uniqueness) stay
 * with the reader itself.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * Reads and checks a value, reporting every problem. Returns undefined when the value is invalid.
 * `schema` describes what the reader accepts; the readers of this module all set it.
 */
export type Reader<T> = ((cursor: Cursor) => T | undefined) & { readonly schema?: JsonSchema };

/** Returns a reader that reads like `read` and is described by `schema`. `read` itself is not changed. */
export function withSchema<T>(read: (cursor: Cursor) => T | undefined, schema: JsonSchema): Reader<T> {
  const reader = (cursor: Cursor): T | undefined => read(cursor);
  return Object.assign(reader, { schema });
}

/**
 * Returns a reader like `read` whose schema has `description`, the text editors show for the
 * field. A description the reader already has (such as the syntax of a duration) follows it.
 */
export function withDescription<T>(read: Reader<T>, description: string): Reader<T> {
  const schema = schemaOf(read);
  const own = typeof schema.description === 'string' ? ` ${schema.description}` : '';
  return withSchema(read, { ...schema, description: `${description}${own}` });
}

/** Returns the JSON Schema fragment of a reader; `{}` (anything) when the reader has none. */
export function schemaOf(read: Reader<unknown>): JsonSchema {
  return read.schema ?? {};
}

/** Returns a cursor at the top of a document. */
export function documentCursor(context: ValidationContext): Cursor {
  const node = resolveNode(context.document, context.document.yaml.contents);
  return { context, path: '', node, anchor: node };
}

/** Returns the cursor of a mapping's field, resolving aliases; a `null` value counts as absent. */
export function fieldCursor(parent: Cursor, key: string): Cursor {
  const path = parent.path === '' ? key : `${parent.path}.${key}`;
  if (!isMap(parent.node)) return { context: parent.context, path, node: null, anchor: parent.node ?? parent.anchor };
  const pair = parent.node.items.find((item) => isScalar(item.key) && item.key.value === key);
  if (pair === undefined) return { context: parent.context, path, node: null, anchor: parent.node };
  const node = resolveNode(parent.context.document, pair.value);
  const empty = node === null || (isScalar(node) && node.value === null);
  return { context: parent.context, path, node: empty ? null : node, anchor: isScalar(pair.key) ? pair.key : parent.node };
}

/** Returns the cursor of a list's item, resolving aliases; a `null` item counts as empty. */
export function itemCursor(list: Cursor, index: number): Cursor {
  const path = `${list.path}[${index}]`;
  const child = isSeq(list.node) ? list.node.items[index] : undefined;
  const node = resolveNode(list.context.document, child);
  const empty = node === null || (isScalar(node) && node.value === null);
  return { context: list.context, path, node: empty ? null : node, anchor: list.node ?? list.anchor };
}

/** Returns the value of a node as plain JSON, for the `value` of a diagnostic. */
export function plainValue(node: Node | null): unknown {
  if (node === null) return undefined;
  if (isScalar(node)) return node.value;
  return node.toJSON();
}

/** Describes a value's type and content for "expected X, got Y" messages. */
export function describeValue(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
    if (value === null) return 'null';
    return `${typeof value} ${String(value)}`;
  }
  return 'an unsupported YAML node';
}

function invalidType(cursor: Cursor, expected: string, fix?: string): undefined {
  cursor.context.report('MERIDIAN_CONFIG_INVALID_TYPE', cursor, `expected ${expected}, got ${describeValue(cursor.node)}`, { fix });
  return undefined;
}

/** Options of `stringValue`. */
export interface StringOptions {
  /** Checks the content; returns a message when the string is invalid. */
  check?: (value: string) => string | undefined;
  /** The fix for a string that fails `check`. */
  checkFix?: string;
  /** The code for a string that fails `check`. Default `MERIDIAN_CONFIG_INVALID_VALUE`. */
  checkCode?: ConfigErrorCode;
  /** What `check` accepts, as JSON Schema keywords such as `pattern` or `maxLength`, for the reader's schema. */
  schema?: JsonSchema;
}

/** Reads a non-empty string. Numbers and booleans are rejected, because the YAML parser has already typed them. */
export function stringValue(options: StringOptions = {}): Reader<string> {
  return withSchema((cursor) => {
    if (!isScalar(cursor.node) || typeof cursor.node.value !== 'string') {
      return invalidType(cursor, 'a string', 'write a string; quote values such as "1" or "true" that YAML reads as numbers or booleans');
    }
    const value = cursor.node.value;
    if (value === '') {
      cursor.context.report('MERIDIAN_CONFIG_INVALID_VALUE', cursor, 'the value is an empty string', { fix: 'write a non-empty value or remove the field' });
      return undefined;
    }
    const problem = options.check?.(value);
    if (problem !== undefined) {
      cursor.context.report(options.checkCode ?? 'MERIDIAN_CONFIG_INVALID_VALUE', cursor, problem, { fix: options.checkFix });
      return undefined;
    }
    return value;
  }, { type: 'string', minLength: 1, ...options.schema });
}

/** Reads an integer in `[min, max]`. */
export function integerValue(min: number, max: number): Reader<number> {
  const expected = `an integer from ${min} to ${max}`;
  return withSchema((cursor) => {
    if (!isScalar(cursor.node) || typeof cursor.node.value !== 'number' || !Number.isInteger(cursor.node.value)) {
      return invalidType(cursor, expected, `write ${expected} without quotes`);
    }
    const value = cursor.node.value;
    if (value < min || value > max) {
      cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', cursor, `${value} is out of range; expected ${expected}`, { fix: `use ${expected}` });
      return undefined;
    }
    return value;
  }, { type: 'integer', minimum: min, maximum: max });
}

/** Reads `true` or `false`. */
export function booleanValue(): Reader<boolean> {
  return withSchema((cursor) => {
    if (!isScalar(cursor.node) || typeof cursor.node.value !== 'boolean') {
      return invalidType(cursor, 'true or false', 'write true or false without quotes');
    }
    return cursor.node.value;
  }, { type: 'boolean' });
}

/** Reads one string out of a fixed set, suggesting the closest on a typo. */
export function enumValue<T extends string>(allowed: readonly T[]): Reader<T> {
  const isAllowed = (value: string): value is T => (allowed as readonly string[]).includes(value);
  return withSchema((cursor) => {
    const value = stringValue()(cursor);
    if (value === undefined) return undefined;
    if (!isAllowed(value)) {
      const message = `invalid value ${JSON.stringify(value)}${didYouMean(value, allowed)} (allowed values: ${allowed.join(', ')})`;
      cursor.context.report('MERIDIAN_CONFIG_INVALID_VALUE', cursor, message, { fix: `use one of: ${allowed.join(', ')}` });
      return undefined;
    }
    return value;
  }, { type: 'string', enum: [...allowed] });
}

/** Reads a mapping of string keys to string values, such as labels. */
export function stringMap(): Reader<Record<string, string>> {
  return withSchema((cursor) => {
    if (!isMap(cursor.node)) return invalidType(cursor, 'a mapping of strings to strings');
    const before = cursor.context.errorCount();
    const result: Record<string, string> = {};
    for (const pair of cursor.node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') {
        const keyCursor = { ...cursor, node: resolveNode(cursor.context.document, pair.key) };
        invalidType(keyCursor, 'a string key');
        continue;
      }
      const value = stringValue()(fieldCursor(cursor, key));
      if (value !== undefined) result[key] = value;
    }
    return cursor.context.errorCount() === before ? result : undefined;
  }, { type: 'object', additionalProperties: schemaOf(stringValue()) });
}

/** Options of `listOf`. */
export interface ListOptions {
  /** Reports an empty list when true. */
  nonEmpty?: boolean;
}

/** Reads a list whose every item is read by `item`. Returns undefined when any item is invalid. */
export function listOf<T>(item: Reader<T>, options: ListOptions = {}): Reader<T[]> {
  const schema: JsonSchema = options.nonEmpty === true ? { type: 'array', items: schemaOf(item), minItems: 1 } : { type: 'array', items: schemaOf(item) };
  return withSchema((cursor) => {
    if (!isSeq(cursor.node)) return invalidType(cursor, 'a list');
    if (options.nonEmpty === true && cursor.node.items.length === 0) {
      cursor.context.report('MERIDIAN_CONFIG_EMPTY_LIST', cursor, 'the list is empty; at least one item is required');
      return undefined;
    }
    const before = cursor.context.errorCount();
    const result: T[] = [];
    for (let index = 0; index < cursor.node.items.length; index++) {
      const child = itemCursor(cursor, index);
      if (child.node === null) {
        cursor.context.report('MERIDIAN_CONFIG_INVALID_TYPE', child, 'the list item is empty', { fix: 'remove the empty item' });
        continue;
      }
      const value = item(child);
      if (value !== undefined) result.push(value);
    }
    return cursor.context.errorCount() === before ? result : undefined;
  }, schema);
}

/**
 * Adds a check to a reader that runs once the value itself is valid, for rules between its parts
 * (such as repeated items). Returns undefined when the check reports an error.
 */
export function refine<T>(read: Reader<T>, check: (cursor: Cursor, value: T) => void): Reader<T> {
  return withSchema((cursor) => {
    const value = read(cursor);
    if (value === undefined) return undefined;
    const before = cursor.context.errorCount();
    check(cursor, value);
    return cursor.context.errorCount() === before ? value : undefined;
  }, schemaOf(read));
}

/** Reading rule of one field of a mapping. */
export interface FieldSpec<T> {
  read: Reader<Exclude<T, undefined>>;
  required: boolean;
  /** Used when the field is absent and not required. */
  fallback?: T;
}

/** Returns a field that must be present. */
export function required<T>(read: Reader<T>): FieldSpec<T> {
  return { read: read as Reader<Exclude<T, undefined>>, required: true };
}

/** Returns a field that may be absent, in which case it reads as undefined. */
export function optional<T>(read: Reader<T>): FieldSpec<T | undefined> {
  return { read: read as Reader<Exclude<T, undefined>>, required: false };
}

/** Returns a field that may be absent, in which case it reads as `fallback`. */
export function withDefault<T>(read: Reader<T>, fallback: T): FieldSpec<T> {
  return { read: read as Reader<Exclude<T, undefined>>, required: false, fallback };
}

/** The field specs of every property of `T`. */
export type FieldSpecs<T> = { [K in keyof T]-?: FieldSpec<T[K]> };

/**
 * Reads a mapping field by field. Every problem is reported: missing required fields, invalid
 * values, and fields that are not in `fields` (with the closest known name when one is close).
 * Returns undefined when any of them is an error.
 */
export function objectOf<T>(fields: FieldSpecs<T>): Reader<T> {
  const known = Object.keys(fields);
  return withSchema((cursor) => {
    if (!isMap(cursor.node)) return invalidType(cursor, 'a mapping');
    const before = cursor.context.errorCount();
    reportUnknownFields(cursor, known);

    const result: Record<string, unknown> = {};
    for (const key of known) {
      const spec = (fields as Record<string, FieldSpec<unknown>>)[key];
      const child = fieldCursor(cursor, key);
      if (child.node === null) {
        if (spec.required) cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', child, `required field "${key}" is missing`);
        else if (spec.fallback !== undefined) result[key] = spec.fallback;
        continue;
      }
      const value = spec.read(child);
      if (value !== undefined) result[key] = value;
    }
    return cursor.context.errorCount() === before ? (result as T) : undefined;
  }, objectSchema(fields as Record<string, FieldSpec<unknown>>));
}

/**
 * Describes a mapping read by `objectOf`. A fallback becomes the field's `default` only when it is
 * a scalar of the field's JSON type, because other fallbacks are model values (durations in
 * milliseconds, for example) and not what the YAML would say.
 */
function objectSchema(fields: Record<string, FieldSpec<unknown>>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, spec] of Object.entries(fields)) {
    const schema = schemaOf(spec.read);
    properties[key] = isDefaultOf(schema, spec.fallback) ? { ...schema, default: spec.fallback } : schema;
  }
  const requiredKeys = Object.keys(fields).filter((key) => fields[key].required);
  const schema: Record<string, unknown> = { type: 'object', properties, additionalProperties: false };
  if (requiredKeys.length > 0) schema.required = requiredKeys;
  return schema;
}

function isDefaultOf(schema: JsonSchema, fallback: unknown): boolean {
  switch (schema.type) {
    case 'string':
      return typeof fallback === 'string' && fallback !== '';
    case 'integer':
      return typeof fallback === 'number' && Number.isInteger(fallback);
    case 'number':
      return typeof fallback === 'number';
    case 'boolean':
      return typeof fallback === 'boolean';
    default:
      return false;
  }
}

function reportUnknownFields(cursor: Cursor, known: readonly string[]): void {
  if (!isMap(cursor.node)) return;
  for (const pair of cursor.node.items) {
    const keyNode = resolveNode(cursor.context.document, pair.key);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    const path = cursor.path === '' ? String(key) : `${cursor.path}.${String(key)}`;
    const keyCursor: Cursor = { context: cursor.context, path, node: keyNode, anchor: cursor.node };
    if (typeof key !== 'string') {
      invalidType(keyCursor, 'a string key');
    } else if (!known.includes(key)) {
      const where = cursor.path === '' ? 'the document' : cursor.path;
      cursor.context.report('MERIDIAN_CONFIG_UNKNOWN_FIELD', keyCursor, `unknown field "${key}"${didYouMean(key, known)}`, {
        value: key,
        fix: `remove the field or rename it; known fields of ${where}: ${listKnown(known)}`,
      });
    }
  }
}
