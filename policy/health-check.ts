import { enumValue, fieldCursor, integerValue, listOf, objectOf, optional, refine, stringValue, withDefault, type Cursor } from '../config';
import { durationValue, formatDuration } from './readers';

/** How probers check the endpoints of a service. */
export type HealthCheckProtocol = 'tcp' | 'http' | 'https' | 'grpc';

/** `spec.healthCheck` of a TrafficPolicy: active checks run by the probers of every locality. */
export interface HealthCheckPolicy {
  protocol: HealthCheckProtocol;
  /** Time between two checks of one endpoint by one prober, in milliseconds. Default 5000. */
  intervalMs: number;
  /** Time after which a check fails, in milliseconds; at most `intervalMs`. Default 1000. */
  timeoutMs: number;
  /** Maximum random delay added to each interval, in milliseconds. Default 0. */
  jitterMs: number;
  /** Consecutive successes that turn an unhealthy endpoint healthy at a prober. Default 2. */
  healthyThreshold: number;
  /** Consecutive failures that turn a healthy endpoint unhealthy at a prober. Default 3. */
  unhealthyThreshold: number;
  /** Shortest time between two changes of one endpoint's decided health, in milliseconds. Default 30000. */
  holdDownMs: number;
  /** Request path of `http` and `https` checks. Default `/`. */
  path: string;
  /** Host header of `http` and `https` checks; the endpoint's address when undefined. */
  host?: string;
  /** HTTP statuses that pass an `http` or `https` check. Default [200]. */
  expectedStatuses: readonly number[];
  /** Service name sent in `grpc.health.v1.HealthCheckRequest`; empty checks the whole server. */
  grpcService: string;
}

export const HEALTH_CHECK_DEFAULTS = {
  intervalMs: 5000,
  timeoutMs: 1000,
  jitterMs: 0,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  holdDownMs: 30_000,
  path: '/',
  expectedStatuses: [200],
  grpcService: '',
} as const;

export interface HealthCheckSpec {
  protocol: HealthCheckProtocol;
  interval: number;
  timeout: number;
  jitter: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  holdDown: number;
  path: string;
  host?: string;
  expectedStatuses: number[];
  grpcService: string;
}

const readPath = stringValue({
  check: (path) => (path.startsWith('/') ? undefined : `path "${path}" does not start with "/"`),
  checkFix: 'write an absolute request path such as "/healthz"',
});

/** Reads `spec.healthCheck`. */
export const readHealthCheck = refine(
  objectOf<HealthCheckSpec>({
    protocol: withDefault(enumValue<HealthCheckProtocol>(['tcp', 'http', 'https', 'grpc']), 'tcp'),
    interval: withDefault(durationValue(100), HEALTH_CHECK_DEFAULTS.intervalMs),
    timeout: withDefault(durationValue(10), HEALTH_CHECK_DEFAULTS.timeoutMs),
    jitter: withDefault(durationValue(0), HEALTH_CHECK_DEFAULTS.jitterMs),
    healthyThreshold: withDefault(integerValue(1, 100), HEALTH_CHECK_DEFAULTS.healthyThreshold),
    unhealthyThreshold: withDefault(integerValue(1, 100), HEALTH_CHECK_DEFAULTS.unhealthyThreshold),
    holdDown: withDefault(durationValue(0), HEALTH_CHECK_DEFAULTS.holdDownMs),
    path: withDefault(readPath, HEALTH_CHECK_DEFAULTS.path),
    host: optional(stringValue()),
    expectedStatuses: withDefault(listOf(integerValue(100, 599), { nonEmpty: true }), [...HEALTH_CHECK_DEFAULTS.expectedStatuses]),
    grpcService: withDefault(stringValue(), HEALTH_CHECK_DEFAULTS.grpcService),
  }),
  checkHealthCheck,
);

/** Converts the read spec into the policy model. */
export function healthCheckPolicyOf(spec: HealthCheckSpec): HealthCheckPolicy {
  return {
    protocol: spec.protocol,
    intervalMs: spec.interval,
    timeoutMs: spec.timeout,
    jitterMs: spec.jitter,
    healthyThreshold: spec.healthyThreshold,
    unhealthyThreshold: spec.unhealthyThreshold,
    holdDownMs: spec.holdDown,
    path: spec.path,
    host: spec.host,
    expectedStatuses: spec.expectedStatuses,
    grpcService: spec.grpcService,
  };
}

function checkHealthCheck(cursor: Cursor, spec: HealthCheckSpec): void {
  if (spec.timeout > spec.interval) {
    cursor.context.report(
      'MERIDIAN_CONFIG_INVALID_VALUE',
      fieldCursor(cursor, 'timeout'),
      `timeout ${formatDuration(spec.timeout)} is longer than interval ${formatDuration(spec.interval)}`,
      { fix: 'make timeout at most as long as interval, so checks of one endpoint do not overlap' },
    );
  }
  const httpOnly: (keyof HealthCheckSpec)[] = ['path', 'host', 'expectedStatuses'];
  for (const field of httpOnly) {
    if (spec.protocol === 'http' || spec.protocol === 'https') break;
    const child = fieldCursor(cursor, field);
    if (child.node !== null) {
      cursor.context.report('MERIDIAN_CONFIG_INVALID_VALUE', child, `"${field}" applies only to http and https checks, not to ${spec.protocol}`, {
        fix: `remove "${field}" or set protocol to http or https`,
      });
    }
  }
  const grpcService = fieldCursor(cursor, 'grpcService');
  if (spec.protocol !== 'grpc' && grpcService.node !== null) {
    cursor.context.report('MERIDIAN_CONFIG_INVALID_VALUE', grpcService, `"grpcService" applies only to grpc checks, not to ${spec.protocol}`, {
      fix: 'remove "grpcService" or set protocol to grpc',
    });
  }
}
