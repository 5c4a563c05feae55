import { isMap, isScalar } from 'yaml';
import { RE2 } from 're2-wasm';
import { describeValue, fieldCursor, stringValue, withSchema, type Cursor, type JsonSchema, type Reader } from '../config';

/** Largest duration a protobuf `Duration` holds, in milliseconds (315,576,000,000 seconds). */
export const MAX_DURATION_MS = 315_576_000_000_000;

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const DURATION_SHAPE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `250ms`, `1.5s`, `2m` or `1h30m` into milliseconds. Returns undefined
 * when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_SHAPE.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit];
  return total;
}

/** Formats milliseconds the way `parseDuration` reads them, for messages. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * Reads a duration string into whole milliseconds, in `[minMs, MAX_DURATION_MS]`. Sub-millisecond
 * parts are rejected because no Meridian setting needs them.
 */
export function durationValue(minMs: number): Reader<number> {
  const range = `from ${formatDuration(minMs)} to ${formatDuration(MAX_DURATION_MS)}`;
  const schema: JsonSchema = {
    type: 'string',
    pattern: DURATION_SHAPE.source,
    description: `A duration of whole milliseconds ${range}: a number and a unit (ms, s, m or h), for example 250ms, 1.5s or 1m30s.`,
  };
  return withSchema((cursor) => {
    const text = stringValue()(cursor);
    if (text === undefined) return undefined;
    const ms = parseDuration(text);
    if (ms === undefined) {
      cursor.context.report('MERIDIAN_CONFIG_INVALID_DURATION', cursor, `invalid duration "${text}"`, {
        fix: 'write a number followed by a unit (ms, s, m or h), for example "250ms", "1.5s" or "1m30s"',
      });
      return undefined;
    }
    if (!Number.isInteger(ms) || ms < minMs || ms > MAX_DURATION_MS) {
      cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', cursor, `duration "${text}" is out of range; expected whole milliseconds ${range}`, {
        fix: `use a duration ${range}`,
      });
      return undefined;
    }
    return ms;
  }, schema);
}

/** Reads a number in `[min, max]` with at most four decimals, such as a percentage. */
export function decimalValue(min: number, max: number): Reader<number> {
  const expected = `a number from ${min} to ${max}`;
  // NOTE: the four-decimal limit is not in the schema, because `multipleOf: 0.0001` fails on
  // binary fractions such as 0.3 in JSON Schema validators.
  const schema: JsonSchema = { type: 'number', minimum: min, maximum: max };
  return withSchema((cursor) => {
    if (!isScalar(cursor.node) || typeof cursor.node.value !== 'number' || !Number.isFinite(cursor.node.value)) {
      cursor.context.report('MERIDIAN_CONFIG_INVALID_TYPE', cursor, `expected ${expected}, got ${describeValue(cursor.node)}`, {
        fix: `write ${expected} without quotes`,
      });
      return undefined;
    }
    const value = cursor.node.value;
    if (value < min || value > max) {
      cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', cursor, `${value} is out of range; expected ${expected}`, { fix: `use ${expected}` });
      return undefined;
    }
    if (Math.round(value * 10_000) !== value * 10_000) {
      cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', cursor, `${value} has more than four decimals`, {
        fix: 'round the value to at most four decimals, the precision Envoy keeps (parts per million)',
      });
      return undefined;
    }
    return value;
  }, schema);
}

/** Returns the problem of a regular expression that RE2 (Envoy's and gRPC's engine) rejects, or undefined. */
export function checkRe2(pattern: string): string | undefined {
  try {
    new RE2(pattern, 'u');
    return undefined;
  } catch (error) {
    return `invalid RE2 regular expression "${pattern}": ${(error as Error).message}`;
  }
}

/** Reads a regular expression that RE2 accepts. */
export const regexValue: Reader<string> = stringValue({
  check: checkRe2,
  checkCode: 'MERIDIAN_CONFIG_INVALID_REGEX',
  checkFix: 'use RE2 syntax: no lookaround and no backreferences; see https://github.com/google/re2/wiki/Syntax',
  schema: { description: 'An RE2 regular expression, the engine of Envoy and gRPC clients: no lookaround and no backreferences.' },
});

const PATTERN_PART_SOURCE = '(\\*|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)';
const PATTERN_PART = new RegExp(`^${PATTERN_PART_SOURCE}$`);
const LOCALITY_PATTERN = `^${PATTERN_PART_SOURCE}(/${PATTERN_PART_SOURCE}){0,2}$`;

/** Returns the problem of a locality pattern (`REGION[/ZONE[/SUB_ZONE]]`, parts may be `*`), or undefined. */
export function checkLocalityPattern(pattern: string): string | undefined {
  const parts = pattern.split('/');
  if (parts.length > 3 || !parts.every((part) => PATTERN_PART.test(part))) {
    return `invalid locality pattern "${pattern}"; expected REGION, REGION/ZONE or REGION/ZONE/SUB_ZONE, where a part may be "*"`;
  }
  return undefined;
}

/** Reads a locality pattern such as `eu-west/*`. */
export const localityPatternValue: Reader<string> = stringValue({
  check: checkLocalityPattern,
  checkFix: 'write a pattern such as "eu-west", "eu-west/eu-west-1a" or "eu-west/*"',
  schema: {
    pattern: LOCALITY_PATTERN,
    description: 'A locality pattern: REGION, REGION/ZONE or REGION/ZONE/SUB_ZONE, where a part may be "*", for example eu-west/*.',
  },
});

/** JSON Schema of a locality pattern, for mappings whose keys are patterns. */
export const LOCALITY_PATTERN_SCHEMA: JsonSchema = { type: 'string', pattern: LOCALITY_PATTERN };

/** Describes the rule of `checkOneOf` as JSON Schema keywords, to merge into the mapping's schema. */
export function oneOfSchema(fields: readonly string[], atMostOne = false): JsonSchema {
  if (!atMostOne) return { oneOf: fields.map((field) => ({ required: [field] })) };
  const pairs: JsonSchema[] = [];
  for (let first = 0; first < fields.length; first++) {
    for (let second = first + 1; second < fields.length; second++) pairs.push({ required: [fields[first], fields[second]] });
  }
  return { not: { anyOf: pairs } };
}

/**
 * Checks that exactly one of `fields` is present in a mapping, or at most one when `atMostOne` is
 * set. Returns false after reporting the problem.
 */
export function checkOneOf(cursor: Cursor, fields: readonly string[], atMostOne = false): boolean {
  if (!isMap(cursor.node)) return true;
  const present = fields.filter((field) => fieldCursor(cursor, field).node !== null);
  if (present.length === 1 || (atMostOne && present.length === 0)) return true;
  const list = fields.map((field) => `"${field}"`).join(', ');
  if (present.length === 0) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', cursor, `one of ${list} is required`, { value: undefined, fix: `set exactly one of ${list}` });
  } else {
    cursor.context.report('MERIDIAN_CONFIG_CONFLICTING_FIELDS', fieldCursor(cursor, present[1]), `"${present[0]}" and "${present[1]}" cannot both be set`, {
      value: present,
      fix: `keep ${atMostOne ? 'at most' : 'exactly'} one of ${list}`,
    });
  }
  return false;
}
