import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpcXds from '@grpc/grpc-js-xds';
import { buildResources, checkConsistency, type ClientProfile, type TrafficPolicy } from '../../policy';
import { messageNameOf, messageType, TYPE_URL, validateMessage, type TypeUrl } from '../../xds';
import { endpoint, locality, policy, registryOf } from './fixtures';

grpcXds.register();

interface ResourceTypeValidator {
  decode(context: unknown, resource: { type_url: string; value: Buffer }): { name: string; error?: string };
}

function validatorOf(file: string, className: string): ResourceTypeValidator {
  const module = require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${file}`) as Record<string, { get(): ResourceTypeValidator }>;
  return module[className].get();
}

const GRPC_VALIDATORS: Record<TypeUrl, ResourceTypeValidator> = {
  [TYPE_URL.cluster]: validatorOf('cluster-resource-type', 'ClusterResourceType'),
  [TYPE_URL.clusterLoadAssignment]: validatorOf('endpoint-resource-type', 'EndpointResourceType'),
  [TYPE_URL.listener]: validatorOf('listener-resource-type', 'ListenerResourceType'),
  [TYPE_URL.routeConfiguration]: validatorOf('route-config-resource-type', 'RouteConfigurationResourceType'),
};

const DECODE_CONTEXT = { server: {}, bootstrap: { certificateProviders: {} } };

const SERVICE = {
  name: 'checkout.shop',
  port: 8080,
  protocol: 'grpc' as const,
  endpoints: [
    endpoint('10.0.0.1', locality('central', 'c1'), { labels: { version: 'v1' } }),
    endpoint('10.0.0.2', locality('central', 'c2'), { labels: { version: 'v2' } }),
    endpoint('10.0.1.1', locality('edge', 'e1'), { labels: { version: 'v1' } }),
  ],
};

/** Returns a policy that sets every feature, so that every generated field is checked. */
function fullPolicy(algorithm: TrafficPolicy['loadBalancer']['algorithm']): TrafficPolicy {
  const hashing = algorithm === 'ringHash' || algorithm === 'maglev';
  return {
    ...policy('checkout.shop', ['checkout']),
    localityLb: { enabled: true, failover: [], distribute: [], failoverPriority: ['cluster'], overprovisioningFactor: 200, panicThreshold: 0 },
    loadBalancer: { algorithm, hashOn: hashing ? [{ header: 'x-user' }, { cookie: { name: 'session', ttlMs: 60_000 } }, { sourceIp: true }] : [], ...(algorithm === 'ringHash' ? { minimumRingSize: 512 } : {}) },
    circuitBreakers: { default: { maxConnections: 100, maxPendingRequests: 10, maxRequests: 50, maxRetries: 3, retryBudget: { percent: 20, minRetryConcurrency: 2 } }, high: { maxRequests: 500 } },
    outlierDetection: {
      consecutive5xx: 5,
      consecutiveGatewayErrors: 3,
      consecutiveLocalOriginFailures: 4,
      successRate: { minimumHosts: 3, requestVolume: 50, stdevFactor: 1900, enforcingPercent: 100 },
      failurePercentage: { thresholdPercent: 60, minimumHosts: 3, requestVolume: 20, enforcingPercent: 100 },
      intervalMs: 5000,
      baseEjectionTimeMs: 15_000,
      maxEjectionTimeMs: 120_000,
      maxEjectionPercent: 30,
    },
    timeoutMs: 2500,
    retries: { retryOn: ['unavailable', '5xx'], attempts: 2, perTryTimeoutMs: 800, backoff: { baseIntervalMs: 25, maxIntervalMs: 250 } },
    fault: { delay: { fixedDelayMs: 1500, percent: 0.5 }, abort: { grpcStatus: 14, percent: 1.25 } },
    subsets: [
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v2', labels: { version: 'v2' } },
    ],
    routes: [
      { name: 'canary', match: { headers: [{ name: 'x-canary', exact: '1', invert: false }] }, split: [{ subset: 'v1', weight: 95 }, { subset: 'v2', weight: 5 }] },
      { name: 'pay', match: { grpcMethod: { service: 'shop.Checkout', method: 'Pay' }, headers: [{ name: 'x-debug', regex: '^(on|yes)$', invert: true }] }, subset: 'v1', timeoutMs: 900 },
      { name: 'admin', match: { path: { regex: '/admin/.*' }, headers: [{ name: 'x-admin', present: true, invert: false }] }, fault: { abort: { httpStatus: 503, percent: 100 } } },
    ],
    overrides: [{ clients: { region: 'edge', metadata: {} }, timeoutMs: 300, source: { file: 'policies.yaml', line: 30, column: 7 } }],
  };
}

const PROFILES: ClientProfile[] = [
  { kind: 'grpc', locality: locality('central', 'c1'), cluster: 'site-a' },
  { kind: 'grpc', locality: locality('edge', 'e1') },
  { kind: 'envoy', locality: locality('central', 'c1') },
];

function encode(typeUrl: string, message: object): Buffer {
  const type = messageType(messageNameOf(typeUrl));
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

describe('traffic policy resources', () => {
  for (const algorithm of ['roundRobin', 'leastRequest', 'ringHash', 'random', 'maglev'] as const) {
    for (const profile of PROFILES) {
      test(`${algorithm} valid for ${profile.kind} in ${profile.locality?.region}`, () => {
        const resources = buildResources(registryOf([SERVICE]), [fullPolicy(algorithm)], profile);
        assert.deepEqual(checkConsistency(resources), []);
        for (const [typeUrl, list] of Object.entries(resources.byTypeUrl) as [TypeUrl, (typeof resources.byTypeUrl)[TypeUrl]][]) {
          for (const { name, message } of list) {
            assert.deepEqual(validateMessage(messageNameOf(typeUrl), message), [], `${typeUrl} ${name}`);
            const value = encode(typeUrl, message);
            if (profile.kind !== 'grpc') continue;
            const result = GRPC_VALIDATORS[typeUrl].decode(DECODE_CONTEXT, { type_url: typeUrl, value });
            assert.equal(result.error, undefined, `${typeUrl} ${name}`);
          }
        }
      });
    }
  }

  test('subsets become clusters with their endpoints', () => {
    const resources = buildResources(registryOf([SERVICE]), [fullPolicy('roundRobin')], PROFILES[0]);
    assert.deepEqual(resources.byTypeUrl[TYPE_URL.cluster].map((cluster) => cluster.name), ['checkout.shop', 'checkout.shop|v1', 'checkout.shop|v2']);
    const v2 = resources.byTypeUrl[TYPE_URL.clusterLoadAssignment].find((assignment) => assignment.name === 'checkout.shop|v2')!.message as any;
    assert.deepEqual(v2.endpoints.flatMap((group: any) => group.lb_endpoints.map((lb: any) => lb.endpoint.address.socket_address.address)), ['10.0.0.2']);
    assert.deepEqual(v2.policy, { overprovisioning_factor: { value: 200 } });
  });

  test('routes carry split, match, timeout and fault', () => {
    const resources = buildResources(registryOf([SERVICE]), [fullPolicy('roundRobin')], PROFILES[0]);
    const routes = (resources.byTypeUrl[TYPE_URL.routeConfiguration][0].message as any).virtual_hosts[0].routes;
    assert.deepEqual(routes.map((route: any) => route.name), ['canary', 'pay', 'admin', 'default']);
    assert.deepEqual(routes[0].route.weighted_clusters.clusters, [
      { name: 'checkout.shop|v1', weight: { value: 95 } },
      { name: 'checkout.shop|v2', weight: { value: 5 } },
    ]);
    assert.deepEqual(routes[1].match.path, '/shop.Checkout/Pay');
    assert.deepEqual(routes[1].route.max_stream_duration, { max_stream_duration: { seconds: 0, nanos: 900_000_000 } });
    assert.deepEqual(routes[3].route.max_stream_duration, { max_stream_duration: { seconds: 2, nanos: 500_000_000 } });
    assert.deepEqual(routes[2].typed_per_filter_config['envoy.filters.http.fault'].abort, { percentage: { numerator: 1_000_000, denominator: 'MILLION' }, http_status: 503 });
    assert.deepEqual(routes[3].typed_per_filter_config['envoy.filters.http.fault'].abort, { percentage: { numerator: 12_500, denominator: 'MILLION' }, grpc_status: 14 });
  });

  test('override shortens the timeout for edge only', () => {
    const timeoutOf = (profile: ClientProfile) => {
      const resources = buildResources(registryOf([SERVICE]), [fullPolicy('roundRobin')], profile);
      const routes = (resources.byTypeUrl[TYPE_URL.routeConfiguration][0].message as any).virtual_hosts[0].routes;
      return routes.map((route: any) => route.route.timeout);
    };
    assert.deepEqual(timeoutOf(PROFILES[0]), [{ seconds: 2, nanos: 500_000_000 }, { seconds: 0, nanos: 900_000_000 }, { seconds: 2, nanos: 500_000_000 }, { seconds: 2, nanos: 500_000_000 }]);
    // The route's own 900 ms stays: overrides replace the policy-level settings only.
    assert.deepEqual(timeoutOf(PROFILES[1]), [{ seconds: 0, nanos: 300_000_000 }, { seconds: 0, nanos: 900_000_000 }, { seconds: 0, nanos: 300_000_000 }, { seconds: 0, nanos: 300_000_000 }]);
  });

  test('unset detectors are not enforced', () => {
    const base = fullPolicy('roundRobin');
    const onlyFailurePercentage = { ...base, outlierDetection: { failurePercentage: { thresholdPercent: 50, enforcingPercent: 100 }, intervalMs: 1000, baseEjectionTimeMs: 1000, maxEjectionPercent: 50 } };
    const resources = buildResources(registryOf([SERVICE]), [onlyFailurePercentage], PROFILES[2]);
    const outlier = (resources.byTypeUrl[TYPE_URL.cluster][0].message as any).outlier_detection;
    assert.deepEqual(outlier.enforcing_consecutive_5xx, { value: 0 });
    assert.deepEqual(outlier.enforcing_success_rate, { value: 0 });
    assert.deepEqual(outlier.enforcing_failure_percentage, { value: 100 });
  });

  test('gRPC clients get a supported lb_policy', () => {
    const policyOf = (algorithm: TrafficPolicy['loadBalancer']['algorithm'], profile: ClientProfile) =>
      (buildResources(registryOf([SERVICE]), [fullPolicy(algorithm)], profile).byTypeUrl[TYPE_URL.cluster][0].message as any).lb_policy;
    assert.deepEqual(
      ['roundRobin', 'leastRequest', 'ringHash', 'random', 'maglev'].map((algorithm) => policyOf(algorithm as 'roundRobin', PROFILES[0])),
      ['ROUND_ROBIN', 'ROUND_ROBIN', 'RING_HASH', 'ROUND_ROBIN', 'RING_HASH'],
    );
    assert.deepEqual(
      ['roundRobin', 'leastRequest', 'ringHash', 'random', 'maglev'].map((algorithm) => policyOf(algorithm as 'roundRobin', PROFILES[2])),
      ['ROUND_ROBIN', 'LEAST_REQUEST', 'RING_HASH', 'RANDOM', 'MAGLEV'],
    );
  });

  test('resources name their policy', () => {
    const resources = buildResources(registryOf([SERVICE]), [fullPolicy('roundRobin')], PROFILES[0]);
    for (const list of Object.values(resources.byTypeUrl)) {
      for (const resource of list) assert.deepEqual(resource.origin, { policy: 'checkout', file: 'policies.yaml', line: 1, column: 1 });
    }
  });
});
