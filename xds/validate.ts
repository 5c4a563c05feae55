import * as protobuf from 'protobufjs';
import { envoyProtos } from './protos';
import {
  checkBool,
  checkBytes,
  checkDuration,
  checkNumber,
  checkString,
  isNumericKind,
  listOf,
  type Report,
  type RuleBody,
  type ValidationIssue,
} from './validate-rules';

export type { ValidationIssue } from './validate-rules';

/** `validate.FieldRules` of one field: at most one kind (`string`, `uint32`...) plus `message`. */
type FieldRules = { [kind: string]: RuleBody | undefined };

// Options that turn decoded messages back into plain objects for the rule checks. Enums stay
// numbers so `defined_only` can see unknown values, and 64-bit integers become strings to keep
// their precision. Absent fields stay absent, and each set oneof names its member.
const CANONICAL: protobuf.IConversionOptions = { longs: String, defaults: false, oneofs: true };

const WRAPPER_TYPES = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (kind) => `google.protobuf.${kind}Value`,
  ),
);

/**
 * Checks a message in protobufjs plain-object form against the `(validate.rules)` that Envoy's
 * protos carry, as Envoy checks a resource before it accepts it. Returns every issue found, each
 * with its field path and value, or an empty list.
 *
 * Two passes run. The first reads the object as given and reports what protobufjs would silently
 * drop while encoding it: unknown fields, unknown enum names and `Any` values whose `@type` the
 * loaded protos lack. The second encodes and decodes the object and checks the rules on what a
 * client would receive, recursing into nested messages and into `Any` values of known types.
 * A path through an `Any` continues with the fields of the message inside, as in Envoy's YAML.
 *
 * NOTE: Timestamp rules, `repeated.unique` on messages, `map.no_sparse` and the bytes rules other
 * than lengths are not checked.
 *
 * @param typeName fully qualified message name, such as `envoy.config.cluster.v3.Cluster`.
 * @throws Error when the loaded protos have no message named `typeName`.
 */
export function validateMessage(typeName: string, message: object): ValidationIssue[] {
  const root = envoyProtos();
  const type = root.lookupType(typeName);
  const issues: ValidationIssue[] = [];

  checkShape(root, type, message, '', issues);

  let decoded: { [field: string]: unknown };
  try {
    decoded = type.toObject(type.decode(type.encode(type.fromObject(message)).finish()), CANONICAL);
  } catch (error) {
    issues.push({ path: '', rule: 'encode', value: undefined, message: `cannot be encoded as ${typeName}: ${(error as Error).message}` });
    return issues;
  }

  walkMessage(root, type, decoded, '', issues);
  return issues;
}

// ---------------------------------------------------------------------------------------------
// First pass: the object as given.

function checkShape(root: protobuf.Root, type: protobuf.Type, input: unknown, path: string, issues: ValidationIssue[]): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    issues.push({ path, rule: 'message.type', value: input, message: `must be an object holding a ${type.fullName.slice(1)}` });
    return;
  }

  let fields = input as { [field: string]: unknown };
  if (type.fullName === '.google.protobuf.Any' && typeof fields['@type'] === 'string') {
    const inner = lookupTypeUrl(root, fields['@type']);
    if (inner === undefined) {
      issues.push({ path, rule: 'any.type_known', value: fields['@type'], message: 'has a type that the loaded protos do not define, so its fields cannot be encoded' });
      return;
    }
    const { '@type': _typeUrl, ...rest } = fields;
    checkShape(root, inner, rest, path, issues);
    return;
  }

  for (const [name, value] of Object.entries(fields)) {
    const field = type.fields[name];
    const fieldPath = joinPath(path, name);
    if (field === undefined) {
      issues.push({ path: fieldPath, rule: 'field.known', value, message: `is not a field of ${type.fullName.slice(1)}` });
      continue;
    }
    if (value === undefined || value === null) continue;
    field.resolve();

    if (field.map) {
      for (const [key, item] of Object.entries(value as object)) checkShapeValue(root, field, item, `${fieldPath}[${JSON.stringify(key)}]`, issues);
    } else if (field.repeated) {
      if (!Array.isArray(value)) {
        issues.push({ path: fieldPath, rule: 'repeated.type', value, message: 'must be an array' });
        continue;
      }
      value.forEach((item, index) => checkShapeValue(root, field, item, `${fieldPath}[${index}]`, issues));
    } else {
      checkShapeValue(root, field, value, fieldPath, issues);
    }
  }
}

function checkShapeValue(root: protobuf.Root, field: protobuf.Field, value: unknown, path: string, issues: ValidationIssue[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    checkShape(root, resolved, value, path, issues);
  } else if (resolved instanceof protobuf.Enum && typeof value === 'string' && resolved.values[value] === undefined) {
    issues.push({ path, rule: 'enum.known', value, message: `is not a value of ${resolved.fullName.slice(1)}` });
  }
}

// ---------------------------------------------------------------------------------------------
// Second pass: the decoded message against its rules.

function walkMessage(root: protobuf.Root, type: protobuf.Type, message: { [field: string]: unknown }, path: string, issues: ValidationIssue[]): void {
  if (optionsOf(type.parsedOptions, '(validate.disabled)').includes(true)) return;

  for (const oneof of type.oneofsArray) {
    const required = optionsOf(oneof.parsedOptions, '(validate.required)').includes(true);
    if (required && message[oneof.name] === undefined) {
      issues.push({ path: joinPath(path, oneof.name), rule: 'oneof.required', value: undefined, message: `must have one of ${oneof.oneof.join(', ')} set` });
    }
  }

  for (const field of type.fieldsArray) {
    field.resolve();
    const value = message[field.name];
    // Only the set member of a oneof is checked.
    if (field.partOf !== null && value === undefined) continue;

    const fieldPath = joinPath(path, field.name);
    const rules = rulesOf(field);
    if (field.map) {
      walkMap(root, field as unknown as protobuf.MapField, rules, value as { [key: string]: unknown } | undefined, fieldPath, issues);
    } else if (field.repeated) {
      walkRepeated(root, field, rules, (value as unknown[] | undefined) ?? [], fieldPath, issues);
    } else {
      walkValue(root, field, rules, value, fieldPath, issues);
    }
  }
}

function walkRepeated(root: protobuf.Root, field: protobuf.FieldBase, rules: FieldRules, items: unknown[], path: string, issues: ValidationIssue[]): void {
  const repeated = rules.repeated ?? {};
  if (repeated.min_items !== undefined && items.length < Number(repeated.min_items)) {
    issues.push({ path, rule: 'repeated.min_items', value: items.length, message: `must have at least ${String(repeated.min_items)} items` });
  }
  if (repeated.max_items !== undefined && items.length > Number(repeated.max_items)) {
    issues.push({ path, rule: 'repeated.max_items', value: items.length, message: `must have at most ${String(repeated.max_items)} items` });
  }
  if (repeated.unique === true && !(field.resolvedType instanceof protobuf.Type)) {
    const seen = new Set(items.map((item) => String(item)));
    if (seen.size !== items.length) issues.push({ path, rule: 'repeated.unique', value: items.length, message: 'must not repeat an item' });
  }

  const itemRules = (repeated.items ?? {}) as FieldRules;
  items.forEach((item, index) => walkValue(root, field, itemRules, item, `${path}[${index}]`, issues));
}

function walkMap(root: protobuf.Root, field: protobuf.MapField, rules: FieldRules, entries: { [key: string]: unknown } | undefined, path: string, issues: ValidationIssue[]): void {
  const pairs = Object.entries(entries ?? {});
  const map = rules.map ?? {};
  if (map.min_pairs !== undefined && pairs.length < Number(map.min_pairs)) {
    issues.push({ path, rule: 'map.min_pairs', value: pairs.length, message: `must have at least ${String(map.min_pairs)} entries` });
  }
  if (map.max_pairs !== undefined && pairs.length > Number(map.max_pairs)) {
    issues.push({ path, rule: 'map.max_pairs', value: pairs.length, message: `must have at most ${String(map.max_pairs)} entries` });
  }

  const keyRules = (map.keys ?? {}) as FieldRules;
  const valueRules = (map.values ?? {}) as FieldRules;
  for (const [key, value] of pairs) {
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    checkScalar(keyRules, field.keyType, key, reporter(issues, entryPath));
    walkValue(root, field, valueRules, value, entryPath, issues);
  }
}

/** Checks one value of a field: a singular field, an item of a repeated field or a map value. */
function walkValue(root: protobuf.Root, field: protobuf.FieldBase, rules: FieldRules, value: unknown, path: string, issues: ValidationIssue[]): void {
  const report = reporter(issues, path);
  const resolved = field.resolvedType;

  if (resolved instanceof protobuf.Enum) {
    checkEnum(resolved, rules.enum, Number(value ?? 0), report);
  } else if (resolved instanceof protobuf.Type) {
    walkMessageValue(root, resolved, rules, value as { [field: string]: unknown } | undefined, path, issues);
  } else {
    checkScalar(rules, field.type, value, report);
  }
}

function walkMessageValue(root: protobuf.Root, type: protobuf.Type, rules: FieldRules, value: { [field: string]: unknown } | undefined, path: string, issues: ValidationIssue[]): void {
  const report = reporter(issues, path);
  const typeName = type.fullName.slice(1);

  if (value === undefined) {
    for (const kind of ['message', 'duration', 'any', 'timestamp']) {
      if (rules[kind]?.required === true) report(`${kind}.required`, undefined, 'must be set');
    }
    return;
  }
  if (rules.message?.skip === true) return;

  if (typeName === 'google.protobuf.Duration') {
    if (rules.duration !== undefined) checkDuration(rules.duration, value, report);
  } else if (typeName === 'google.protobuf.Any') {
    walkAny(root, rules.any ?? {}, value, path, issues);
  } else if (WRAPPER_TYPES.has(typeName)) {
    const inner = type.fields.value;
    checkScalar(rules, inner.type, value.value ?? defaultOf(inner.type), report);
  } else {
    walkMessage(root, type, value, path, issues);
  }
}

function walkAny(root: protobuf.Root, rules: RuleBody, any: { [field: string]: unknown }, path: string, issues: ValidationIssue[]): void {
  const typeUrl = String(any.type_url ?? '');
  const report = reporter(issues, path);

  const allowed = listOf(rules.in).map(String);
  if (allowed.length > 0 && !allowed.includes(typeUrl)) report('any.in', typeUrl, `must have a type URL among ${allowed.join(', ')}`);
  if (listOf(rules.not_in).map(String).includes(typeUrl)) report('any.not_in', typeUrl, 'must not have this type URL');

  const inner = lookupTypeUrl(root, typeUrl);
  if (inner === undefined) return;

  let decoded: { [field: string]: unknown };
  try {
    decoded = inner.toObject(inner.decode((any.value as Uint8Array | undefined) ?? new Uint8Array()), CANONICAL);
  } catch (error) {
    report('any.decode', typeUrl, `has a value that does not decode as ${inner.fullName.slice(1)}: ${(error as Error).message}`);
    return;
  }
  walkMessage(root, inner, decoded, path, issues);
}

function checkEnum(type: protobuf.Enum, rules: RuleBody | undefined, value: number, report: Report): void {
  if (rules === undefined) return;
  const shown = type.valuesById[value] ?? value;

  if (rules.defined_only === true && type.valuesById[value] === undefined) {
    report('enum.defined_only', shown, `must be a value defined by ${type.fullName.slice(1)}`);
  }
  if (rules.const !== undefined && value !== enumNumber(type, rules.const)) report('enum.const', shown, `must be ${String(rules.const)}`);
  const allowed = listOf(rules.in).map((item) => enumNumber(type, item));
  if (allowed.length > 0 && !allowed.includes(value)) report('enum.in', shown, `must be one of ${listOf(rules.in).join(', ')}`);
  if (listOf(rules.not_in).map((item) => enumNumber(type, item)).includes(value)) report('enum.not_in', shown, 'must not be this value');
}

/** Dispatches the scalar rules of a field (`string`, `uint32`, ...) by the kind the rules name. */
function checkScalar(rules: FieldRules, protoType: string, value: unknown, report: Report): void {
  for (const [kind, body] of Object.entries(rules)) {
    if (body === undefined) continue;
    const shown = value ?? defaultOf(protoType);
    if (kind === 'string') checkString(body, shown, report);
    else if (kind === 'bytes') checkBytes(body, shown, report);
    else if (kind === 'bool') checkBool(body, shown, report);
    else if (isNumericKind(kind)) checkNumber(kind, body, shown, report);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

const fieldRulesCache = new WeakMap<protobuf.Field, FieldRules>();

/** Merges every `(validate.rules)` option of a field into one FieldRules object. */
function rulesOf(field: protobuf.Field): FieldRules {
  let rules = fieldRulesCache.get(field);
  if (rules === undefined) {
    rules = {};
    for (const option of optionsOf(field.parsedOptions, '(validate.rules)')) deepMerge(rules, option as FieldRules);
    fieldRulesCache.set(field, rules);
  }
  return rules;
}

function optionsOf(parsedOptions: unknown, name: string): unknown[] {
  const list = Array.isArray(parsedOptions) ? (parsedOptions as { [name: string]: unknown }[]) : [];
  return list.filter((option) => name in option).map((option) => option[name]);
}

function deepMerge(target: { [key: string]: unknown }, source: { [key: string]: unknown }): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) deepMerge(existing, value);
    else target[key] = isPlainObject(value) ? structuredClone(value) : value;
  }
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookupTypeUrl(root: protobuf.Root, typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (name === '') return undefined;
  try {
    return root.lookupType(name);
  } catch {
    return undefined;
  }
}

function enumNumber(type: protobuf.Enum, value: unknown): number {
  return typeof value === 'string' && type.values[value] !== undefined ? type.values[value] : Number(value);
}

function defaultOf(protoType: string): unknown {
  if (protoType === 'string') return '';
  if (protoType === 'bool') return false;
  if (protoType === 'bytes') return new Uint8Array();
  return 0;
}

function reporter(issues: ValidationIssue[], path: string): Report {
  return (rule, value, message) => issues.push({ path, rule, value, message });
}

function joinPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
