import {
  booleanValue,
  enumValue,
  fieldCursor,
  integerValue,
  listOf,
  objectOf,
  optional,
  required,
  schemaOf,
  stringValue,
  withDefault,
  withDescription,
  withSchema,
  type Cursor,
  type Reader,
} from '../config';
import type {
  CircuitBreakerPolicy,
  CircuitBreakerThresholds,
  FailurePercentageEjection,
  HashSource,
  LoadBalancerAlgorithm,
  LoadBalancerPolicy,
  OutlierDetectionPolicy,
  SuccessRateEjection,
} from './model';
import { checkOneOf, decimalValue, durationValue, oneOfSchema } from './readers';

const UINT32_MAX = 4_294_967_295;

/** Largest ring of the gRPC ring hash balancer, and the bound Meridian enforces for both clients. */
export const MAX_RING_SIZE = 8_388_608;

const ALGORITHMS: readonly LoadBalancerAlgorithm[] = ['roundRobin', 'leastRequest', 'ringHash', 'random', 'maglev'];

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

const readHashFields = objectOf<{ header: string | undefined; cookie: { name: string; ttl: number | undefined } | undefined; sourceIp: boolean | undefined }>({
  header: optional(withDescription(
    stringValue({
      check: (name) => (HEADER_NAME.test(name) ? undefined : `invalid header name "${name}"`),
      checkFix: 'write the header name in lowercase, for example "x-user-id"',
      schema: { pattern: HEADER_NAME.source },
    }),
    'Hash on the value of this request header (lowercase name).',
  )),
  cookie: optional(withDescription(
    objectOf<{ name: string; ttl: number | undefined }>({ name: required(stringValue()), ttl: optional(durationValue(1)) }),
    'Hash on this cookie. Envoy creates it with the ttl when it is missing and ttl is set.',
  )),
  sourceIp: optional(withSchema((cursor) => {
    const value = booleanValue()(cursor);
    if (value !== false) return value;
    cursor.context.report('MERIDIAN_CONFIG_INVALID_VALUE', cursor, 'sourceIp must be true when it is set', { fix: 'write sourceIp: true, or remove the entry' });
    return undefined;
  }, { type: 'boolean', const: true })),
});

const readHashSource: Reader<HashSource> = withSchema((cursor: Cursor): HashSource | undefined => {
  if (!checkOneOf(cursor, ['header', 'cookie', 'sourceIp'])) return undefined;
  const fields = readHashFields(cursor);
  if (fields === undefined) return undefined;
  if (fields.header !== undefined) return { header: fields.header };
  if (fields.cookie !== undefined) return { cookie: fields.cookie.ttl === undefined ? { name: fields.cookie.name } : { name: fields.cookie.name, ttlMs: fields.cookie.ttl } };
  return { sourceIp: true };
}, { ...schemaOf(readHashFields), ...oneOfSchema(['header', 'cookie', 'sourceIp']) });

const readLoadBalancerFields = objectOf<{ algorithm: LoadBalancerAlgorithm; hashOn: HashSource[]; minimumRingSize: number | undefined; maximumRingSize: number | undefined }>({
  algorithm: withDefault(withDescription(enumValue(ALGORITHMS), "Envoy's load balancer within a locality. gRPC clients support only roundRobin and ringHash."), 'roundRobin'),
  hashOn: withDefault(withDescription(listOf(readHashSource, { nonEmpty: true }), 'Consistent-hash inputs, for ringHash and maglev only. Each entry sets one of header, cookie or sourceIp.'), []),
  minimumRingSize: optional(withDescription(integerValue(1, MAX_RING_SIZE), 'Smallest ring of ringHash. Default 1024.')),
  maximumRingSize: optional(withDescription(integerValue(1, MAX_RING_SIZE), 'Largest ring of ringHash. Default 8388608.')),
});

/** Reads `loadBalancer`, checking that hashing settings go with a hashing algorithm. */
export const readLoadBalancer: Reader<LoadBalancerPolicy> = withSchema((cursor: Cursor): LoadBalancerPolicy | undefined => {
  const fields = readLoadBalancerFields(cursor);
  if (fields === undefined) return undefined;
  const hashing = fields.algorithm === 'ringHash' || fields.algorithm === 'maglev';
  const before = cursor.context.errorCount();
  if (!hashing && fields.hashOn.length > 0) {
    cursor.context.report('MERIDIAN_CONFIG_CONFLICTING_FIELDS', fieldCursor(cursor, 'hashOn'), `hashOn has no effect with algorithm "${fields.algorithm}"`, {
      value: fields.algorithm,
      fix: 'set algorithm to ringHash or maglev, or remove hashOn',
    });
  }
  const ringSizeSet = fields.minimumRingSize !== undefined || fields.maximumRingSize !== undefined;
  if (fields.algorithm !== 'ringHash' && ringSizeSet) {
    cursor.context.report('MERIDIAN_CONFIG_CONFLICTING_FIELDS', fieldCursor(cursor, fields.minimumRingSize !== undefined ? 'minimumRingSize' : 'maximumRingSize'), `ring sizes apply only to algorithm "ringHash", not "${fields.algorithm}"`, {
      value: fields.algorithm,
      fix: 'set algorithm to ringHash, or remove minimumRingSize and maximumRingSize',
    });
  }
  if (fields.minimumRingSize !== undefined && fields.maximumRingSize !== undefined && fields.minimumRingSize > fields.maximumRingSize) {
    cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', fieldCursor(cursor, 'minimumRingSize'), `minimumRingSize ${fields.minimumRingSize} is larger than maximumRingSize ${fields.maximumRingSize}`, {
      fix: 'make minimumRingSize at most maximumRingSize',
    });
  }
  if (cursor.context.errorCount() !== before) return undefined;

  const policy: LoadBalancerPolicy = { algorithm: fields.algorithm, hashOn: fields.hashOn };
  if (fields.minimumRingSize !== undefined) policy.minimumRingSize = fields.minimumRingSize;
  if (fields.maximumRingSize !== undefined) policy.maximumRingSize = fields.maximumRingSize;
  return policy;
}, schemaOf(readLoadBalancerFields));

const readThresholds = objectOf<{
  maxConnections: number | undefined;
  maxPendingRequests: number | undefined;
  maxRequests: number | undefined;
  maxRetries: number | undefined;
  retryBudget: { percent: number; minRetryConcurrency: number | undefined } | undefined;
}>({
  maxConnections: optional(withDescription(integerValue(1, UINT32_MAX), "Connections to all endpoints of the cluster. Envoy's default is 1024.")),
  maxPendingRequests: optional(withDescription(integerValue(1, UINT32_MAX), "Requests waiting for a connection. Envoy's default is 1024.")),
  maxRequests: optional(withDescription(integerValue(1, UINT32_MAX), "Requests in flight. Above it, requests fail at once. Envoy's default is 1024.")),
  maxRetries: optional(withDescription(integerValue(0, UINT32_MAX), "Retries in flight. Envoy's default is 3.")),
  retryBudget: optional(withDescription(
    objectOf<{ percent: number; minRetryConcurrency: number | undefined }>({
      percent: required(decimalValue(0, 100)),
      minRetryConcurrency: optional(integerValue(0, UINT32_MAX)),
    }),
    'Retries in flight limited to percent of the active requests, but at least minRetryConcurrency (default 3). Replaces maxRetries.',
  )),
});

const readCircuitBreakerThresholds: Reader<CircuitBreakerThresholds> = withSchema((cursor: Cursor): CircuitBreakerThresholds | undefined => {
  const fields = readThresholds(cursor);
  if (fields === undefined) return undefined;
  const thresholds: CircuitBreakerThresholds = {};
  if (fields.maxConnections !== undefined) thresholds.maxConnections = fields.maxConnections;
  if (fields.maxPendingRequests !== undefined) thresholds.maxPendingRequests = fields.maxPendingRequests;
  if (fields.maxRequests !== undefined) thresholds.maxRequests = fields.maxRequests;
  if (fields.maxRetries !== undefined) thresholds.maxRetries = fields.maxRetries;
  if (fields.retryBudget !== undefined) {
    thresholds.retryBudget = fields.retryBudget.minRetryConcurrency === undefined
      ? { percent: fields.retryBudget.percent }
      : { percent: fields.retryBudget.percent, minRetryConcurrency: fields.retryBudget.minRetryConcurrency };
  }
  return thresholds;
}, schemaOf(readThresholds));

const readCircuitBreakerFields = objectOf<{ default: CircuitBreakerThresholds | undefined; high: CircuitBreakerThresholds | undefined }>({
  default: optional(withDescription(readCircuitBreakerThresholds, "Thresholds of Envoy's default routing priority.")),
  high: optional(withDescription(readCircuitBreakerThresholds, "Thresholds of Envoy's high routing priority.")),
});

/** Reads `circuitBreakers`: thresholds for Envoy's `default` and `high` routing priorities. */
export const readCircuitBreakers: Reader<CircuitBreakerPolicy> = withSchema((cursor: Cursor): CircuitBreakerPolicy | undefined => {
  const fields = readCircuitBreakerFields(cursor);
  if (fields === undefined) return undefined;
  if (fields.default === undefined && fields.high === undefined) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', cursor, 'neither "default" nor "high" thresholds are set', {
      value: undefined,
      fix: 'set thresholds under "default" (and optionally "high"), for example default: { maxRequests: 100 }',
    });
    return undefined;
  }
  const policy: CircuitBreakerPolicy = { default: fields.default ?? {} };
  if (fields.high !== undefined) policy.high = fields.high;
  return policy;
}, { ...schemaOf(readCircuitBreakerFields), minProperties: 1 });

const readSuccessRate = objectOf<{ minimumHosts: number | undefined; requestVolume: number | undefined; stdevFactor: number | undefined; enforcingPercent: number }>({
  minimumHosts: optional(integerValue(1, UINT32_MAX)),
  requestVolume: optional(integerValue(1, UINT32_MAX)),
  stdevFactor: optional(integerValue(1, UINT32_MAX)),
  enforcingPercent: withDefault(integerValue(0, 100), 100),
});

const readFailurePercentage = objectOf<{ threshold: number; minimumHosts: number | undefined; requestVolume: number | undefined; enforcingPercent: number }>({
  threshold: required(integerValue(0, 100)),
  minimumHosts: optional(integerValue(1, UINT32_MAX)),
  requestVolume: optional(integerValue(1, UINT32_MAX)),
  enforcingPercent: withDefault(integerValue(0, 100), 100),
});

const readOutlierFields = objectOf<{
  consecutive5xx: number | undefined;
  consecutiveGatewayErrors: number | undefined;
  consecutiveLocalOriginFailures: number | undefined;
  successRate: ReturnType<typeof readSuccessRate>;
  failurePercentage: ReturnType<typeof readFailurePercentage>;
  interval: number;
  baseEjectionTime: number;
  maxEjectionTime: number | undefined;
  maxEjectionPercent: number;
}>({
  consecutive5xx: optional(withDescription(integerValue(1, UINT32_MAX), 'Ejects after this many 5xx responses in a row.')),
  consecutiveGatewayErrors: optional(withDescription(integerValue(1, UINT32_MAX), 'Ejects after this many 502, 503 or 504 responses in a row.')),
  consecutiveLocalOriginFailures: optional(withDescription(integerValue(1, UINT32_MAX), 'Ejects after this many connection failures, timeouts or resets in a row.')),
  successRate: optional(withDescription(readSuccessRate, 'Ejects endpoints whose success rate is below the mean minus stdevFactor/1000 standard deviations.')),
  failurePercentage: optional(withDescription(readFailurePercentage, 'Ejects endpoints whose failure share is above threshold percent.')),
  // Envoy's default interval and base ejection time. Envoy requires the interval to be above 0.
  interval: withDefault(withDescription(durationValue(1), 'Time between two detection passes. Default 10s.'), 10_000),
  baseEjectionTime: withDefault(withDescription(durationValue(1), 'Ejection time of a first ejection. Default 30s.'), 30_000),
  maxEjectionTime: optional(withDescription(durationValue(1), "Longest ejection, at least baseEjectionTime. Envoy's default is 300s.")),
  maxEjectionPercent: withDefault(withDescription(integerValue(0, 100), 'Most endpoints of the cluster ejected at once, in percent.'), 10),
});

const DETECTORS = ['consecutive5xx', 'consecutiveGatewayErrors', 'consecutiveLocalOriginFailures', 'successRate', 'failurePercentage'];

/** Reads `outlierDetection`; at least one detector must be set, or nothing would be ejected. */
export const readOutlierDetection: Reader<OutlierDetectionPolicy> = withSchema((cursor: Cursor): OutlierDetectionPolicy | undefined => {
  const fields = readOutlierFields(cursor);
  if (fields === undefined) return undefined;
  const detectors = DETECTORS.filter((name) => fieldCursor(cursor, name).node !== null);
  if (detectors.length === 0) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', cursor, `no detector is set, so no endpoint would ever be ejected`, {
      value: undefined,
      fix: `set at least one of ${DETECTORS.join(', ')}`,
    });
    return undefined;
  }
  if (fields.maxEjectionTime !== undefined && fields.maxEjectionTime < fields.baseEjectionTime) {
    cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', fieldCursor(cursor, 'maxEjectionTime'), 'maxEjectionTime is shorter than baseEjectionTime', {
      fix: 'make maxEjectionTime at least baseEjectionTime, or remove it',
    });
    return undefined;
  }

  const policy: OutlierDetectionPolicy = {
    intervalMs: fields.interval,
    baseEjectionTimeMs: fields.baseEjectionTime,
    maxEjectionPercent: fields.maxEjectionPercent,
  };
  if (fields.consecutive5xx !== undefined) policy.consecutive5xx = fields.consecutive5xx;
  if (fields.consecutiveGatewayErrors !== undefined) policy.consecutiveGatewayErrors = fields.consecutiveGatewayErrors;
  if (fields.consecutiveLocalOriginFailures !== undefined) policy.consecutiveLocalOriginFailures = fields.consecutiveLocalOriginFailures;
  if (fields.maxEjectionTime !== undefined) policy.maxEjectionTimeMs = fields.maxEjectionTime;
  if (fields.successRate !== undefined) policy.successRate = withoutUndefined(fields.successRate) as SuccessRateEjection;
  if (fields.failurePercentage !== undefined) {
    const { threshold, ...rest } = fields.failurePercentage;
    policy.failurePercentage = withoutUndefined({ thresholdPercent: threshold, ...rest }) as FailurePercentageEjection;
  }
  return policy;
}, { ...schemaOf(readOutlierFields), anyOf: DETECTORS.map((name) => ({ required: [name] })) });

/** Returns a copy without the keys whose value is undefined, so that equal policies compare equal as JSON. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
