import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * One broken `(validate.rules)` constraint of a field, as `validateMessage` reports it.
 */
export interface ValidationIssue {
  /** Field path from the root message, such as `load_assignment.endpoints[0].priority`. */
  path: string;
  /** The rule as written in validate.proto, such as `uint32.lte` or `oneof.required`. */
  rule: string;
  /** The offending value in protobufjs form: undefined for a missing message or oneof. */
  value: unknown;
  message: string;
}

/** The body of one rule kind of `validate.FieldRules`, such as the `{ min_len: 1 }` of `string`. */
export type RuleBody = { [rule: string]: unknown };

/** Reports one issue; the walker in validate.ts fills in the path. */
export type Report = (rule: string, value: unknown, message: string) => void;

const INTEGER_KINDS = new Set([
  'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64',
]);

/** Returns true when `kind` names the rules of a numeric field (`uint32`, `double`...). */
export function isNumericKind(kind: string): boolean {
  return INTEGER_KINDS.has(kind) || kind === 'float' || kind === 'double';
}

/**
 * Checks a number against const, in, not_in, lt, lte, gt and gte. Integers compare as BigInt, so
 * 64-bit values given as strings keep their precision. As in PGV, a lower bound above the upper
 * bound means the value must lie outside the range.
 */
export function checkNumber(kind: string, rules: RuleBody, raw: unknown, report: Report): void {
  const toValue = (input: unknown): number | bigint =>
    INTEGER_KINDS.has(kind) ? BigInt(String(input)) : Number(input);
  const value = toValue(raw ?? 0);

  if (rules.const !== undefined && value !== toValue(rules.const)) {
    report(`${kind}.const`, raw, `must equal ${String(rules.const)}`);
  }
  const allowed = listOf(rules.in).map(toValue);
  if (allowed.length > 0 && !allowed.includes(value)) {
    report(`${kind}.in`, raw, `must be one of ${allowed.join(', ')}`);
  }
  const forbidden = listOf(rules.not_in).map(toValue);
  if (forbidden.includes(value)) report(`${kind}.not_in`, raw, `must not be one of ${forbidden.join(', ')}`);

  checkRange(kind, rules, value, toValue, raw, report);
}

/** Checks a Duration given as `{ seconds, nanos }` against its const, lt, lte, gt, gte, in and not_in rules. */
export function checkDuration(rules: RuleBody, raw: { seconds?: unknown; nanos?: unknown }, report: Report): void {
  const toNanos = (input: unknown): bigint => {
    const duration = (input ?? {}) as { seconds?: unknown; nanos?: unknown };
    return BigInt(String(duration.seconds ?? 0)) * 1_000_000_000n + BigInt(String(duration.nanos ?? 0));
  };
  const value = toNanos(raw);
  const shown = formatDuration(value);

  if (rules.const !== undefined && value !== toNanos(rules.const)) {
    report('duration.const', shown, `must equal ${formatDuration(toNanos(rules.const))}`);
  }
  const allowed = listOf(rules.in).map(toNanos);
  if (allowed.length > 0 && !allowed.includes(value)) {
    report('duration.in', shown, `must be one of ${allowed.map(formatDuration).join(', ')}`);
  }
  if (listOf(rules.not_in).map(toNanos).includes(value)) report('duration.not_in', shown, 'must not be this duration');

  checkRange('duration', rules, value, toNanos, shown, report, formatDuration);
}

function checkRange<T extends number | bigint>(
  kind: string,
  rules: RuleBody,
  value: T,
  toValue: (input: unknown) => T,
  shown: unknown,
  report: Report,
  format: (bound: T) => string = String,
): void {
  const lower = rules.gt !== undefined ? { rule: 'gt', bound: toValue(rules.gt) } : rules.gte !== undefined ? { rule: 'gte', bound: toValue(rules.gte) } : undefined;
  const upper = rules.lt !== undefined ? { rule: 'lt', bound: toValue(rules.lt) } : rules.lte !== undefined ? { rule: 'lte', bound: toValue(rules.lte) } : undefined;

  const meetsLower = lower === undefined || (lower.rule === 'gt' ? value > lower.bound : value >= lower.bound);
  const meetsUpper = upper === undefined || (upper.rule === 'lt' ? value < upper.bound : value <= upper.bound);
  const words = { gt: 'greater than', gte: 'at least', lt: 'less than', lte: 'at most' } as Record<string, string>;

  if (lower !== undefined && upper !== undefined && lower.bound > upper.bound) {
    if (!meetsLower && !meetsUpper) {
      report(`${kind}.${lower.rule}`, shown, `must be ${words[lower.rule]} ${format(lower.bound)} or ${words[upper.rule]} ${format(upper.bound)}`);
    }
    return;
  }
  if (!meetsLower && lower !== undefined) report(`${kind}.${lower.rule}`, shown, `must be ${words[lower.rule]} ${format(lower.bound)}`);
  if (!meetsUpper && upper !== undefined) report(`${kind}.${upper.rule}`, shown, `must be ${words[upper.rule]} ${format(upper.bound)}`);
}

/**
 * Checks a string against PGV's string rules. `ignore_empty` (a newer PGV rule that Envoy's protos
 * use) skips every rule for an empty string.
 *
 * NOTE: `pattern` is an RE2 expression run as a JavaScript RegExp. The patterns in Envoy's protos
 * use only syntax the two share; a pattern that JavaScript cannot compile is reported as an issue.
 */
export function checkString(rules: RuleBody, raw: unknown, report: Report): void {
  const value = String(raw ?? '');
  if (rules.ignore_empty === true && value === '') return;

  const length = [...value].length;
  const bytes = Buffer.byteLength(value, 'utf8');
  const limits: [string, (limit: number) => boolean, string, string][] = [
    ['len', (limit) => length === limit, 'exactly', 'character'],
    ['min_len', (limit) => length >= limit, 'at least', 'character'],
    ['max_len', (limit) => length <= limit, 'at most', 'character'],
    ['len_bytes', (limit) => bytes === limit, 'exactly', 'byte'],
    ['min_bytes', (limit) => bytes >= limit, 'at least', 'byte'],
    ['max_bytes', (limit) => bytes <= limit, 'at most', 'byte'],
  ];
  for (const [rule, holds, bound, unit] of limits) {
    if (rules[rule] === undefined) continue;
    const limit = Number(rules[rule]);
    if (!holds(limit)) report(`string.${rule}`, raw, `must be ${bound} ${limit} ${unit}${limit === 1 ? '' : 's'} long`);
  }

  checkStringContent(rules, value, report);
  checkWellKnownString(rules, value, report);
}

function checkStringContent(rules: RuleBody, value: string, report: Report): void {
  if (rules.const !== undefined && value !== rules.const) report('string.const', value, `must equal "${String(rules.const)}"`);
  if (typeof rules.prefix === 'string' && !value.startsWith(rules.prefix)) report('string.prefix', value, `must start with "${rules.prefix}"`);
  if (typeof rules.suffix === 'string' && !value.endsWith(rules.suffix)) report('string.suffix', value, `must end with "${rules.suffix}"`);
  if (typeof rules.contains === 'string' && !value.includes(rules.contains)) report('string.contains', value, `must contain "${rules.contains}"`);
  if (typeof rules.not_contains === 'string' && value.includes(rules.not_contains)) {
    report('string.not_contains', value, `must not contain "${rules.not_contains}"`);
  }

  const allowed = listOf(rules.in).map(String);
  if (allowed.length > 0 && !allowed.includes(value)) report('string.in', value, `must be one of ${allowed.map((item) => `"${item}"`).join(', ')}`);
  if (listOf(rules.not_in).map(String).includes(value)) report('string.not_in', value, 'must not be this value');

  if (typeof rules.pattern === 'string') {
    const pattern = compilePattern(rules.pattern);
    if (pattern === undefined) report('string.pattern', value, `has a pattern that JavaScript cannot compile: ${rules.pattern}`);
    else if (!pattern.test(value)) report('string.pattern', value, `must match the pattern ${rules.pattern}`);
  }
}

// Header rules of PGV: strict follows RFC 7230, loose only forbids NUL, CR and LF. The loose
// name rule accepts the empty string, as Envoy does for the unset `ClusterWeight.cluster_header`.
const HEADER_REGEX: Record<string, { strict: RegExp; loose: RegExp }> = {
  HTTP_HEADER_NAME: { strict: /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/, loose: /^[^\0\n\r]*$/ },
  HTTP_HEADER_VALUE: { strict: /^[^\0-\x08\x0A-\x1F\x7F]*$/, loose: /^[^\0\n\r]*$/ },
};

const WELL_KNOWN_CHECKS: Record<string, { holds: (value: string) => boolean; what: string }> = {
  email: { holds: (value) => /^[^@\s]+@[^@\s]+$/.test(value), what: 'an email address' },
  hostname: { holds: isHostname, what: 'a hostname' },
  ip: { holds: (value) => isIP(value) !== 0, what: 'an IP address' },
  ipv4: { holds: isIPv4, what: 'an IPv4 address' },
  ipv6: { holds: isIPv6, what: 'an IPv6 address' },
  address: { holds: (value) => isIP(value) !== 0 || isHostname(value), what: 'an IP address or a hostname' },
  uri: { holds: (value) => URL.canParse(value), what: 'an absolute URI' },
  uri_ref: { holds: (value) => URL.canParse(value, 'http://reference.invalid/'), what: 'a URI reference' },
  uuid: { holds: (value) => /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/.test(value), what: 'a UUID' },
};

function checkWellKnownString(rules: RuleBody, value: string, report: Report): void {
  for (const [rule, check] of Object.entries(WELL_KNOWN_CHECKS)) {
    if (rules[rule] === true && !check.holds(value)) report(`string.${rule}`, value, `must be ${check.what}`);
  }

  const regexName = typeof rules.well_known_regex === 'string' ? rules.well_known_regex : undefined;
  const regex = regexName === undefined ? undefined : HEADER_REGEX[regexName];
  if (regex === undefined) return;
  const strict = rules.strict !== false;
  if (!(strict ? regex.strict : regex.loose).test(value)) {
    report('string.well_known_regex', value, `must be a valid ${regexName === 'HTTP_HEADER_NAME' ? 'HTTP header name' : 'HTTP header value'}`);
  }
}

/** Checks bytes against the length rules of PGV's BytesRules. Other bytes rules are not checked. */
export function checkBytes(rules: RuleBody, raw: unknown, report: Report): void {
  const length = raw instanceof Uint8Array ? raw.length : 0;
  if (rules.len !== undefined && length !== Number(rules.len)) report('bytes.len', length, `must be ${String(rules.len)} bytes long`);
  if (rules.min_len !== undefined && length < Number(rules.min_len)) report('bytes.min_len', length, `must be at least ${String(rules.min_len)} bytes long`);
  if (rules.max_len !== undefined && length > Number(rules.max_len)) report('bytes.max_len', length, `must be at most ${String(rules.max_len)} bytes long`);
}

/** Checks a bool against `bool.const`. */
export function checkBool(rules: RuleBody, raw: unknown, report: Report): void {
  const value = raw === true;
  if (rules.const !== undefined && value !== rules.const) report('bool.const', value, `must be ${String(rules.const)}`);
}

/** Returns a rule value that may be one item or a list (protobufjs keeps a single `in: X` as X) as a list. */
export function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isHostname(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label));
}

const compiledPatterns = new Map<string, RegExp | undefined>();

function compilePattern(source: string): RegExp | undefined {
  if (!compiledPatterns.has(source)) {
    // Unicode mode matches by code point as RE2 does, but rejects some escapes that RE2 accepts.
    let compiled: RegExp | undefined;
    for (const flags of ['u', '']) {
      try {
        compiled = new RegExp(source, flags);
        break;
      } catch {
        compiled = undefined;
      }
    }
    compiledPatterns.set(source, compiled);
  }
  return compiledPatterns.get(source);
}

function formatDuration(nanos: bigint): string {
  const seconds = Number(nanos) / 1e9;
  return `${seconds}s`;
}
