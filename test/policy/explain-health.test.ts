import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from '../../discovery';
import { explainService, formatExplanation, NO_HEALTH_SIGNAL, type HealthInput, type TrafficPolicy } from '../../policy';
import { endpoint, locality, policy, registryOf } from './fixtures';

const zoneA = locality('r1', 'r1-a');
const zoneB = locality('r1', 'r1-b');

const echo: Service = {
  name: 'echo.test',
  port: 8080,
  protocol: 'grpc',
  endpoints: [endpoint('10.0.0.1', zoneA), endpoint('10.0.0.2', zoneA), endpoint('10.0.0.3', zoneB)],
};

function checkedPolicy(): TrafficPolicy {
  return {
    ...policy('echo.test', ['echo']),
    healthCheck: {
      protocol: 'grpc',
      intervalMs: 200,
      timeoutMs: 100,
      jitterMs: 0,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      holdDownMs: 0,
      path: '/',
      expectedStatuses: [200],
      grpcService: '',
    },
  };
}

/** Health decisions in which 10.0.0.2 failed and every other endpoint passed. */
const decisions: HealthInput = { endpointHealth: (_service, address) => address !== '10.0.0.2' };

test('explain shows decided endpoint health', () => {
  const explanation = explainService(registryOf([echo]), [checkedPolicy()], 'echo', zoneA, 'grpc', {}, decisions)!;
  const own = explanation.localities.find((entry) => entry.locality.zone === 'r1-a')!;
  assert.equal(own.endpoints, 2);
  assert.equal(own.healthyEndpoints, 1);
  assert.equal(own.health, '1 of 2 healthy; prober quorum (grpc check every 200 ms)');
  assert.deepEqual(explanation.healthCheck, { protocol: 'grpc', intervalMs: 200, unhealthyThreshold: 2 });
  assert.ok(
    explanation.warnings.every((warning) => !warning.startsWith('Failover has no health signal')),
    'a checked service does not get the no-health-signal warning',
  );
  assert.match(formatExplanation(explanation), /1 of 2 healthy; prober quorum/);
});

test('explain warns when nothing checks health', () => {
  const explanation = explainService(registryOf([echo]), [policy('echo.test', ['echo'])], 'echo', zoneA, 'envoy')!;
  for (const entry of explanation.localities) assert.equal(entry.health, NO_HEALTH_SIGNAL);
  assert.ok(explanation.warnings.some((warning) => warning.startsWith('Failover has no health signal')));
});
