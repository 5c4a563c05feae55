import * as protobuf from 'protobufjs';

const DURATION_TEXT = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;

/** Converts Envoy's duration text ("5s", "0.25s") into the `{ seconds, nanos }` form protobufjs takes. */
export function parseDuration(text: string, path: string): { seconds: number; nanos: number } {
  const match = DURATION_TEXT.exec(text);
  if (!match) throw new Error(`${path}: invalid duration ${JSON.stringify(text)}. Write it as seconds with an "s", such as "5s"`);

  const sign = match[1] === '-' ? -1 : 1;
  const seconds = Number(match[2]);
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: sign * seconds, nanos: sign * nanos };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rewrites Envoy-style YAML data (snake_case keys, durations as text, `Any` with `@type`) into the
 * object that `type.fromObject` accepts. Unlike fromObject, which drops unknown keys silently, it
 * throws on a key the message does not define, naming the path, so that a misspelt field fails.
 */
export function toProtoObject(type: protobuf.Type, value: unknown, path = type.name): Record<string, unknown> {
  if (!isPlainObject(value)) throw new Error(`${path}: expected a ${type.fullName} object, got ${JSON.stringify(value)}`);

  const result: Record<string, unknown> = {};
  for (const [key, fieldValue] of Object.entries(value)) {
    if (key === '@type') {
      result[key] = fieldValue;
      continue;
    }
    const field = type.fields[key];
    if (!field) throw new Error(`${path}.${key}: unknown field of ${type.fullName}`);
    field.resolve();
    result[key] = convertField(field, fieldValue, `${path}.${key}`);
  }
  return result;
}

function convertField(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isPlainObject(value)) throw new Error(`${path}: expected a map, got ${JSON.stringify(value)}`);
    return Object.fromEntries(
      Object.entries(value).map(([key, entry]) => [key, convertValue(field, entry, `${path}.${key}`)]),
    );
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new Error(`${path}: expected a list, got ${JSON.stringify(value)}`);
    return value.map((entry, index) => convertValue(field, entry, `${path}[${index}]`));
  }
  return convertValue(field, value, path);
}

function convertValue(field: protobuf.Field, value: unknown, path: string): unknown {
  const type = field.resolvedType;
  if (!(type instanceof protobuf.Type)) return value;

  switch (type.fullName) {
    case '.google.protobuf.Duration':
      return typeof value === 'string' ? parseDuration(value, path) : value;
    case '.google.protobuf.Any':
      return convertAny(type, value, path);
    case '.google.protobuf.Struct':
    case '.google.protobuf.Value':
      throw new Error(`${path}: Struct and Value fields are not converted. Leave them out or extend this loader`);
    default:
      return toProtoObject(type, value, path);
  }
}

function convertAny(anyType: protobuf.Type, value: unknown, path: string): unknown {
  if (!isPlainObject(value) || typeof value['@type'] !== 'string') {
    throw new Error(`${path}: an Any needs "@type", got ${JSON.stringify(value)}`);
  }
  const typeUrl = value['@type'];
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const inner = anyType.root.lookup(name);
  if (!(inner instanceof protobuf.Type)) throw new Error(`${path}: type ${name} is not loaded`);
  return toProtoObject(inner, value, path);
}
