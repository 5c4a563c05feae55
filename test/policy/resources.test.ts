import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientProfile } from '../../policy';
import { buildResources, checkConsistency, OWN_SUB_ZONE_WEIGHT_FACTOR, type GeneratedResources } from '../../policy';
import { messageNameOf, messageType, TYPE_URL, validateMessage, type TypeUrl } from '../../xds';
import { endpoint, exampleMesh, locality, policy, registryOf } from './fixtures';

type Decoded = { [field: string]: any };

const PROFILES: ClientProfile[] = [
  { kind: 'envoy', locality: locality('central', 'c1', 'rack-1') },
  { kind: 'envoy', locality: locality('edge-paris', 'p1') },
  { kind: 'envoy' },
  { kind: 'grpc', locality: locality('east', 'e1') },
  { kind: 'grpc', locality: locality('central', 'c1', 'rack-1') },
];

/** Encodes a plain object with the official protos and decodes it back, `Any` values included. */
function roundTrip(typeUrl: string, message: object): Decoded {
  const type = messageType(messageNameOf(typeUrl));
  const decoded = type.toObject(type.decode(type.encode(type.fromObject(message)).finish()), { enums: String, longs: Number });
  return decoded as Decoded;
}

function decodeAny(any: Decoded): Decoded {
  const type = messageType(messageNameOf(any.type_url));
  return type.toObject(type.decode(any.value), { enums: String, longs: Number }) as Decoded;
}

function resourcesFor(profile: ClientProfile): GeneratedResources {
  const { registry, policies } = exampleMesh();
  return buildResources(registry, policies, profile);
}

function find(resources: GeneratedResources, typeUrl: TypeUrl, name: string): object {
  const resource = resources.byTypeUrl[typeUrl].find((candidate) => candidate.name === name);
  assert.ok(resource, `${typeUrl} ${name} is generated`);
  return resource.message;
}

function profileName(profile: ClientProfile): string {
  const where = profile.locality ? `${profile.locality.region}/${profile.locality.zone}/${profile.locality.subZone}` : 'no locality';
  return `${profile.kind} in ${where}`;
}

describe('buildResources on the example mesh', () => {
  for (const profile of PROFILES) {
    test(`every resource valid: ${profileName(profile)}`, () => {
      const resources = resourcesFor(profile);
      for (const [typeUrl, list] of Object.entries(resources.byTypeUrl)) {
        assert.ok(list.length > 0, `${typeUrl} has resources`);
        for (const { name, message } of list) {
          assert.deepEqual(validateMessage(messageNameOf(typeUrl), message), [], `${typeUrl} ${name}`);
          const decoded = roundTrip(typeUrl, message);
          const nameField = typeUrl === TYPE_URL.clusterLoadAssignment ? 'cluster_name' : 'name';
          assert.equal(decoded[nameField], name, `${typeUrl} ${name} keeps its name`);
        }
      }
    });

    test(`consistent references: ${profileName(profile)}`, () => {
      assert.deepEqual(checkConsistency(resourcesFor(profile)), []);
    });
  }

  test('cluster uses EDS over ADS', () => {
    const message = find(resourcesFor(PROFILES[0]), TYPE_URL.cluster, 'checkout.shop');
    const cluster = roundTrip(TYPE_URL.cluster, message);
    assert.equal(cluster.type, 'EDS');
    assert.deepEqual(cluster.eds_cluster_config.eds_config.ads, {});
    assert.equal(cluster.eds_cluster_config.eds_config.resource_api_version, 'V3');
    assert.equal(cluster.eds_cluster_config.service_name, 'checkout.shop');
    // ROUND_ROBIN is the enum's zero value, which decodes as absent.
    assert.equal((message as Decoded).lb_policy, 'ROUND_ROBIN');
    assert.equal(cluster.lb_policy, undefined);
    assert.deepEqual(cluster.common_lb_config.locality_weighted_lb_config, {});
    assert.equal(cluster.connect_timeout.seconds, 5);
  });

  test('envoy grpc cluster uses http2', () => {
    const cluster = roundTrip(TYPE_URL.cluster, find(resourcesFor(PROFILES[0]), TYPE_URL.cluster, 'payments.shop'));
    const options = decodeAny(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']);
    assert.deepEqual(options.explicit_http_config.http2_protocol_options, {});
  });

  test('assignment from the centre', () => {
    const assignment = roundTrip(
      TYPE_URL.clusterLoadAssignment,
      find(resourcesFor(PROFILES[0]), TYPE_URL.clusterLoadAssignment, 'checkout.shop'),
    );
    const summary = assignment.endpoints.map((group: Decoded) => ({
      zone: `${group.locality.region ?? ''}/${group.locality.zone ?? ''}/${group.locality.sub_zone ?? ''}`,
      priority: group.priority ?? 0,
      weight: group.load_balancing_weight.value,
      addresses: group.lb_endpoints.map((lb: Decoded) => lb.endpoint.address.socket_address.address),
    }));
    assert.deepEqual(summary, [
      { zone: 'central/c1/rack-1', priority: 0, weight: OWN_SUB_ZONE_WEIGHT_FACTOR * 2, addresses: ['10.0.1.1'] },
      { zone: 'central/c1/rack-2', priority: 0, weight: 2, addresses: ['10.0.1.2'] },
      { zone: 'central/c2/', priority: 1, weight: 1, addresses: ['10.0.2.1'] },
      { zone: 'east/e1/', priority: 2, weight: 1, addresses: ['10.1.1.1'] },
      { zone: 'edge-paris/p1/', priority: 3, weight: 1, addresses: ['10.2.1.1'] },
      { zone: '//', priority: 4, weight: 1, addresses: ['10.9.9.9'] },
    ]);
  });

  test('assignment from the edge follows failover', () => {
    const assignment = roundTrip(
      TYPE_URL.clusterLoadAssignment,
      find(resourcesFor(PROFILES[1]), TYPE_URL.clusterLoadAssignment, 'checkout.shop'),
    );
    const regionByPriority = assignment.endpoints.map((group: Decoded) => [group.priority ?? 0, group.locality.region ?? '']);
    assert.deepEqual(regionByPriority, [
      [0, 'edge-paris'],
      [1, 'east'],
      [2, 'central'],
      [2, 'central'],
      [2, 'central'],
      [3, ''],
    ]);
  });

  test('lb endpoints carry address and weight', () => {
    const assignment = roundTrip(
      TYPE_URL.clusterLoadAssignment,
      find(resourcesFor(PROFILES[2]), TYPE_URL.clusterLoadAssignment, 'checkout.shop'),
    );
    const endpoints = assignment.endpoints.flatMap((group: Decoded) => group.lb_endpoints);
    const rack2 = endpoints.find((lb: Decoded) => lb.endpoint.address.socket_address.address === '10.0.1.2');
    assert.equal(rack2.endpoint.address.socket_address.port_value, 8080);
    assert.equal(rack2.load_balancing_weight.value, 2);
    assert.equal(rack2.health_status, 'HEALTHY');
    assert.ok(assignment.endpoints.every((group: Decoded) => (group.priority ?? 0) === 0), 'no locality means one priority');
  });

  test('grpc listener per hostname', () => {
    const resources = resourcesFor(PROFILES[3]);
    assert.deepEqual(
      resources.byTypeUrl[TYPE_URL.listener].map((listener) => listener.name),
      ['checkout', 'checkout.shop', 'ledger.shop', 'payments.shop'],
    );
    const listener = roundTrip(TYPE_URL.listener, find(resources, TYPE_URL.listener, 'payments.shop'));
    const manager = decodeAny(listener.api_listener.api_listener);
    assert.equal(manager.rds.route_config_name, 'payments.shop');
    assert.deepEqual(manager.rds.config_source.ads, {});
    assert.equal(manager.http_filters.at(-1).typed_config.type_url, 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router');

    const routes = roundTrip(TYPE_URL.routeConfiguration, find(resources, TYPE_URL.routeConfiguration, 'payments.shop'));
    assert.deepEqual(routes.virtual_hosts[0].domains, ['payments.shop']);
    assert.equal(routes.virtual_hosts[0].routes[0].match.prefix, '/');
    assert.equal(routes.virtual_hosts[0].routes[0].route.cluster, 'payments.shop');
  });

  test('envoy listener per port', () => {
    const resources = resourcesFor(PROFILES[0]);
    assert.deepEqual(
      resources.byTypeUrl[TYPE_URL.listener].map((listener) => listener.name),
      ['outbound_5432', 'outbound_8080', 'outbound_9090'],
    );
    const listener = roundTrip(TYPE_URL.listener, find(resources, TYPE_URL.listener, 'outbound_8080'));
    assert.deepEqual(listener.address.socket_address, { address: '0.0.0.0', port_value: 8080 });
    const manager = decodeAny(listener.filter_chains[0].filters[0].typed_config);
    assert.equal(manager.rds.route_config_name, '8080');

    const routes = roundTrip(TYPE_URL.routeConfiguration, find(resources, TYPE_URL.routeConfiguration, '8080'));
    assert.deepEqual(routes.virtual_hosts[0].domains, ['checkout.shop', 'checkout.shop:8080', 'checkout', 'checkout:8080']);
    assert.equal(routes.virtual_hosts[0].routes[0].route.cluster, 'checkout.shop');
  });

  test('envoy tcp service gets tcp proxy', () => {
    const resources = resourcesFor(PROFILES[0]);
    const listener = roundTrip(TYPE_URL.listener, find(resources, TYPE_URL.listener, 'outbound_5432'));
    const proxy = decodeAny(listener.filter_chains[0].filters[0].typed_config);
    assert.equal(proxy.cluster, 'ledger.shop');
    assert.equal(resources.byTypeUrl[TYPE_URL.routeConfiguration].some((route) => route.name === '5432'), false);
  });
});

describe('buildResources skips', () => {
  const service = (name: string, port: number, protocol: 'http' | 'tcp') => ({
    name,
    port,
    protocol,
    endpoints: [endpoint(`10.0.0.${port % 250}`, locality('r1', 'a'), { port })],
  });

  test('policy for unknown service', () => {
    const result = buildResources(registryOf([]), [policy('ghost.shop', ['ghost'])], { kind: 'grpc' });
    assert.equal(result.skipped.length, 1);
    assert.match(result.skipped[0].reason, /service "ghost.shop" is not in the registry/);
    assert.equal(result.byTypeUrl[TYPE_URL.cluster].length, 0);
  });

  test('hostname claimed twice', () => {
    const registry = registryOf([service('a.shop', 8080, 'http'), service('b.shop', 8081, 'http')]);
    const result = buildResources(registry, [policy('a.shop', ['shared']), policy('b.shop', ['shared', 'b'])], { kind: 'grpc' });
    assert.deepEqual(result.byTypeUrl[TYPE_URL.listener].map((listener) => listener.name), ['b', 'shared']);
    assert.match(result.skipped[0].reason, /hostname "shared" is already used by policy "a"/);
  });

  test('tcp service sharing a port', () => {
    const registry = registryOf([service('web.shop', 8080, 'http'), service('raw.shop', 8080, 'tcp')]);
    const result = buildResources(registry, [policy('web.shop', ['web']), policy('raw.shop', ['raw'])], { kind: 'envoy' });
    assert.equal(result.skipped.length, 1);
    assert.equal(result.skipped[0].policy, 'raw');
    assert.deepEqual(checkConsistency(result), []);
  });

  test('duplicate endpoint listed once', () => {
    const twice = { ...service('a.shop', 8080, 'http') };
    twice.endpoints = [...twice.endpoints, ...twice.endpoints];
    const result = buildResources(registryOf([twice]), [policy('a.shop', ['a'])], { kind: 'grpc' });
    const assignment = roundTrip(TYPE_URL.clusterLoadAssignment, result.byTypeUrl[TYPE_URL.clusterLoadAssignment][0].message);
    assert.equal(assignment.endpoints[0].lb_endpoints.length, 1);
  });
});

describe('checkConsistency', () => {
  test('missing assignment and route', () => {
    const resources = resourcesFor(PROFILES[3]);
    resources.byTypeUrl[TYPE_URL.clusterLoadAssignment] = resources.byTypeUrl[TYPE_URL.clusterLoadAssignment].filter(
      (resource) => resource.name !== 'payments.shop',
    );
    resources.byTypeUrl[TYPE_URL.routeConfiguration] = resources.byTypeUrl[TYPE_URL.routeConfiguration].filter(
      (resource) => resource.name !== 'checkout',
    );
    const problems = checkConsistency(resources);
    assert.deepEqual(
      problems.map((problem) => [problem.name, problem.missing.name]),
      [
        ['payments.shop', 'payments.shop'],
        ['checkout', 'checkout'],
      ],
    );
    assert.equal(problems[0].missing.typeUrl, TYPE_URL.clusterLoadAssignment);
    assert.equal(problems[1].missing.typeUrl, TYPE_URL.routeConfiguration);
    assert.match(problems[0].message, /Cluster "payments.shop" refers to ClusterLoadAssignment "payments.shop"/);
  });

  test('route to missing cluster', () => {
    const resources = resourcesFor(PROFILES[0]);
    resources.byTypeUrl[TYPE_URL.cluster] = resources.byTypeUrl[TYPE_URL.cluster].filter((resource) => resource.name !== 'checkout.shop');
    const problems = checkConsistency(resources);
    assert.deepEqual(problems.map((problem) => [problem.typeUrl, problem.name, problem.missing.name]), [
      [TYPE_URL.routeConfiguration, '8080', 'checkout.shop'],
    ]);
  });
});
