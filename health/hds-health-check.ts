import type { HealthCheckPolicy } from '../policy';
import type { CheckSpec, StatusRange, TcpPayload } from './checks';
import { durationOf, millisOf, type PlainMessage } from './hds-wire';

/** Key of `HealthCheck.transport_socket_match_criteria` that makes Meridian probers use TLS. */
export const TLS_MATCH_KEY = 'tls';

/** A check as a prober runs it: what to check, and how often. */
export interface ProbeSettings {
  check: CheckSpec;
  intervalMs: number;
  timeoutMs: number;
  jitterMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

/** Builds the `envoy.config.core.v3.HealthCheck` with which probers check a service. */
export function buildHealthCheck(policy: HealthCheckPolicy): PlainMessage {
  const message: PlainMessage = {
    timeout: durationOf(policy.timeoutMs),
    interval: durationOf(policy.intervalMs),
    unhealthy_threshold: { value: policy.unhealthyThreshold },
    healthy_threshold: { value: policy.healthyThreshold },
  };
  if (policy.jitterMs > 0) message.interval_jitter = durationOf(policy.jitterMs);

  switch (policy.protocol) {
    case 'tcp':
      message.tcp_health_check = {};
      break;
    case 'grpc':
      message.grpc_health_check = policy.grpcService === '' ? {} : { service_name: policy.grpcService };
      break;
    case 'http':
    case 'https': {
      const http: PlainMessage = {
        path: policy.path,
        expected_statuses: policy.expectedStatuses.map((status) => ({ start: status, end: status + 1 })),
      };
      if (policy.host !== undefined) http.host = policy.host;
      message.http_health_check = http;
      if (policy.protocol === 'https') {
        message.transport_socket_match_criteria = { fields: { [TLS_MATCH_KEY]: { boolValue: true } } };
      }
      break;
    }
  }
  return message;
}

/**
 * Reads the part of an HDS `HealthCheck` that Meridian probers run. Returns a message naming the
 * unsupported part when the check cannot be run.
 */
export function readHealthCheck(message: PlainMessage): ProbeSettings | string {
  const intervalMs = millisOf(message.interval);
  const timeoutMs = millisOf(message.timeout);
  if (intervalMs === undefined || intervalMs <= 0 || timeoutMs === undefined || timeoutMs <= 0) {
    return 'health check without a positive interval and timeout';
  }
  const timing = {
    intervalMs,
    timeoutMs,
    jitterMs: millisOf(message.interval_jitter) ?? 0,
    healthyThreshold: Number(message.healthy_threshold?.value ?? 1),
    unhealthyThreshold: Number(message.unhealthy_threshold?.value ?? 1),
  };

  if (message.tcp_health_check) {
    const tcp = message.tcp_health_check;
    if (tcp.send === undefined && (tcp.receive ?? []).length === 0) return { ...timing, check: { kind: 'tcp' } };
    const payload = readTcpPayload(tcp);
    if (typeof payload === 'string') return payload;
    return { ...timing, check: { kind: 'tcp', payload } };
  }
  if (message.grpc_health_check) {
    const grpc = message.grpc_health_check;
    return { ...timing, check: { kind: 'grpc', serviceName: grpc.service_name ?? '', authority: grpc.authority || undefined } };
  }
  if (message.http_health_check) {
    const http = message.http_health_check;
    const ranges: StatusRange[] = (http.expected_statuses ?? []).map((range: PlainMessage) => ({
      start: Number(range.start ?? 0),
      end: Number(range.end ?? 0),
    }));
    const tls = message.transport_socket_match_criteria?.fields?.[TLS_MATCH_KEY]?.boolValue === true;
    return {
      ...timing,
      check: {
        kind: 'http',
        tls,
        path: http.path || '/',
        host: http.host || undefined,
        // Envoy passes 200 when no range is given.
        expectedStatuses: ranges.length > 0 ? ranges : [{ start: 200, end: 201 }],
      },
    };
  }
  return 'health check of an unsupported kind (only tcp, http and grpc are run)';
}

/** Reads `TcpHealthCheck.send` and `receive`; returns a message naming the invalid payload. */
function readTcpPayload(tcp: PlainMessage): TcpPayload | string {
  if (tcp.send === undefined) return 'tcp health check with receive payloads but no send payload';
  const send = bytesOfPayload(tcp.send);
  if (send === undefined) return `tcp health check with an invalid send payload ${JSON.stringify(tcp.send)}: expected hex text or binary`;
  const receive: Buffer[] = [];
  for (const block of tcp.receive ?? []) {
    const bytes = bytesOfPayload(block);
    if (bytes === undefined) return `tcp health check with an invalid receive payload ${JSON.stringify(block)}: expected hex text or binary`;
    receive.push(bytes);
  }
  return { send, receive };
}

/** Returns the bytes of an `envoy.config.core.v3.HealthCheck.Payload`: hex `text` or `binary`. */
function bytesOfPayload(payload: PlainMessage): Buffer | undefined {
  if (typeof payload?.text === 'string') {
    if (payload.text.length === 0 || !/^(?:[0-9a-fA-F]{2})+$/.test(payload.text)) return undefined;
    return Buffer.from(payload.text, 'hex');
  }
  if (payload?.binary instanceof Uint8Array && payload.binary.length > 0) return Buffer.from(payload.binary);
  return undefined;
}
