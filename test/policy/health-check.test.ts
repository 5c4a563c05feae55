import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocuments } from '../../config';
import { buildResources, createConfigKinds, trafficPolicyKind, withMeasuredFailover, type TrafficPolicy } from '../../policy';
import { summarize, validateText } from '../config/fixtures';
import { endpoint, locality, policy, registryOf } from './fixtures';
import { POLICY_LINES, withServices } from './policy-documents';

function read(extraLines: string[]): { policy?: TrafficPolicy; problems: string[] } {
  const text = withServices([...POLICY_LINES, ...extraLines]);
  const problems = validateText(text, createConfigKinds()).map((diagnostic) => {
    const { code, line, path, message } = summarize(diagnostic);
    return `${code} ${line} ${path}: ${message}`;
  });
  const parsed = parseDocuments('p.yaml', text);
  const { set } = createConfigKinds().validate({ files: ['p.yaml'], documents: parsed.documents, diagnostics: [] });
  return { policy: set.of(trafficPolicyKind)[0]?.value, problems };
}

test('healthCheck: defaults fill every field', () => {
  const { policy: read1, problems } = read(['  healthCheck:', '    protocol: grpc']);
  assert.deepEqual(problems, []);
  assert.deepEqual(read1!.healthCheck, {
    protocol: 'grpc',
    intervalMs: 5000,
    timeoutMs: 1000,
    jitterMs: 0,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    holdDownMs: 30_000,
    path: '/',
    host: undefined,
    expectedStatuses: [200],
    grpcService: '',
  });
});

test('healthCheck: http settings are read', () => {
  const { policy: read1, problems } = read([
    '  healthCheck:',
    '    protocol: https',
    '    interval: 2s',
    '    timeout: 500ms',
    '    path: /healthz',
    '    expectedStatuses: [200, 204]',
  ]);
  assert.deepEqual(problems, []);
  assert.equal(read1!.healthCheck!.intervalMs, 2000);
  assert.equal(read1!.healthCheck!.path, '/healthz');
  assert.deepEqual(read1!.healthCheck!.expectedStatuses, [200, 204]);
});

test('healthCheck: invalid settings are each reported', () => {
  const { problems } = read(['  healthCheck:', '    protocol: tcp', '    interval: 1s', '    timeout: 2s', '    path: /x', '    unhealthyThreshold: 0']);
  assert.deepEqual(problems, [
    'MERIDIAN_CONFIG_OUT_OF_RANGE 18 spec.healthCheck.unhealthyThreshold: 0 is out of range; expected an integer from 1 to 100',
  ]);
  const second = read(['  healthCheck:', '    protocol: tcp', '    interval: 1s', '    timeout: 2s', '    path: /x']);
  assert.deepEqual(second.problems, [
    'MERIDIAN_CONFIG_INVALID_VALUE 16 spec.healthCheck.timeout: timeout 2s is longer than interval 1s',
    'MERIDIAN_CONFIG_INVALID_VALUE 17 spec.healthCheck.path: "path" applies only to http and https checks, not to tcp',
  ]);
});

test('failoverOrder: latency is read', () => {
  const { policy: read1, problems } = read(['    failoverOrder: latency']);
  assert.deepEqual(problems, []);
  assert.equal(read1!.localityLb.failoverOrder, 'latency');
});

test('engine: unhealthy decision sets health_status', () => {
  const service = { name: 'echo.test', port: 8080, protocol: 'grpc' as const, endpoints: [endpoint('10.0.0.1', locality('r1', 'a')), endpoint('10.0.0.2', locality('r1', 'b'))] };
  const resources = buildResources(registryOf([service]), [policy('echo.test', ['echo'])], { kind: 'grpc', locality: locality('r1', 'a') }, {
    endpointHealth: (_service, address) => (address === '10.0.0.1' ? false : undefined),
  });
  const assignment = resources.byTypeUrl['type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment'][0].message as any;
  const statuses = assignment.endpoints.flatMap((group: any) => group.lb_endpoints.map((lb: any) => `${lb.endpoint.address.socket_address.address} ${lb.health_status}`));
  assert.deepEqual(statuses, ['10.0.0.1 UNHEALTHY', '10.0.0.2 HEALTHY']);
});

test('engine: latency order replaces the written order', () => {
  const settings = { failover: [{ from: 'eu', to: ['us', 'asia'] }], failoverOrder: 'latency' as const };
  const ordered = withMeasuredFailover(settings, locality('eu', 'eu-1'), { regionOrder: () => ['asia'] });
  assert.deepEqual(ordered.failover, [{ from: 'eu', to: ['asia', 'us'] }]);
  const fixed = withMeasuredFailover({ ...settings, failoverOrder: 'rules' as const }, locality('eu', 'eu-1'), { regionOrder: () => ['asia'] });
  assert.deepEqual(fixed.failover, settings.failover);
});
