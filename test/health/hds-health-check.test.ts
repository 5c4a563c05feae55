import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHealthCheck, readHealthCheck } from '../../health';
import { HEALTH_CHECK_DEFAULTS, type HealthCheckPolicy } from '../../policy';
import { validateMessage } from '../../xds';

const PROTOCOLS: HealthCheckPolicy['protocol'][] = ['tcp', 'http', 'https', 'grpc'];

function policyOf(protocol: HealthCheckPolicy['protocol']): HealthCheckPolicy {
  return { ...HEALTH_CHECK_DEFAULTS, protocol, jitterMs: 50, path: '/healthz', expectedStatuses: [200, 204], grpcService: protocol === 'grpc' ? 'echo' : '' };
}

for (const protocol of PROTOCOLS) {
  test(`health check: ${protocol} passes Envoy's validate rules`, () => {
    assert.deepEqual(validateMessage('envoy.config.core.v3.HealthCheck', buildHealthCheck(policyOf(protocol))), []);
  });
}

test('health check: round trip keeps the check', () => {
  const tcp = readHealthCheck(buildHealthCheck(policyOf('tcp')));
  assert.deepEqual(tcp, { intervalMs: 5000, timeoutMs: 1000, jitterMs: 50, healthyThreshold: 2, unhealthyThreshold: 3, check: { kind: 'tcp' } });
  const https = readHealthCheck(buildHealthCheck(policyOf('https')));
  assert.equal(typeof https, 'object');
  assert.deepEqual((https as Exclude<typeof https, string>).check, {
    kind: 'http',
    tls: true,
    path: '/healthz',
    host: undefined,
    expectedStatuses: [
      { start: 200, end: 201 },
      { start: 204, end: 205 },
    ],
  });
  const grpc = readHealthCheck(buildHealthCheck(policyOf('grpc')));
  assert.deepEqual((grpc as Exclude<typeof grpc, string>).check, { kind: 'grpc', serviceName: 'echo', authority: undefined });
});

test('health check: unsupported kind is named', () => {
  const result = readHealthCheck({ timeout: { seconds: 1 }, interval: { seconds: 1 }, redis_health_check: {} });
  assert.equal(result, 'health check of an unsupported kind (only tcp, http and grpc are run)');
});

test('health check: tcp payloads are read', () => {
  const timing = { timeout: { seconds: 1 }, interval: { seconds: 1 } };
  const result = readHealthCheck({ ...timing, tcp_health_check: { send: { text: '727474' }, receive: [{ text: '72' }, { binary: Buffer.from('tt') }] } });
  assert.deepEqual((result as Exclude<typeof result, string>).check, {
    kind: 'tcp',
    payload: { send: Buffer.from('rtt'), receive: [Buffer.from('r'), Buffer.from('tt')] },
  });
});

test('health check: invalid tcp payloads are named', () => {
  const timing = { timeout: { seconds: 1 }, interval: { seconds: 1 } };
  assert.equal(
    readHealthCheck({ ...timing, tcp_health_check: { send: { text: 'xyz' } } }),
    'tcp health check with an invalid send payload {"text":"xyz"}: expected hex text or binary',
  );
  assert.equal(
    readHealthCheck({ ...timing, tcp_health_check: { receive: [{ text: '72' }] } }),
    'tcp health check with receive payloads but no send payload',
  );
});
