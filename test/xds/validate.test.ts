import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateMessage, type ValidationIssue } from '../../xds';

const HCM_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

function validCluster(): { [field: string]: any } {
  return {
    name: 'checkout.shop',
    type: 'STATIC',
    connect_timeout: { seconds: 5 },
    load_assignment: {
      cluster_name: 'checkout.shop',
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } },
              load_balancing_weight: { value: 1 },
            },
          ],
        },
      ],
    },
  };
}

function validListener(): { [field: string]: any } {
  return {
    name: 'checkout.shop',
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE_URL,
        stat_prefix: 'checkout',
        rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'checkout.shop' },
        http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE_URL } }],
      },
    },
  };
}

const ENDPOINT = 'load_assignment.endpoints[0].lb_endpoints[0]';

interface BadCase {
  name: string;
  typeName: string;
  message: object;
  expected: Pick<ValidationIssue, 'path' | 'rule' | 'value'>[];
}

function cluster(edit: (message: { [field: string]: any }) => void): object {
  const message = validCluster();
  edit(message);
  return message;
}

function listener(edit: (message: { [field: string]: any }) => void): object {
  const message = validListener();
  edit(message);
  return message;
}

const BAD_CASES: BadCase[] = [
  {
    name: 'cluster with empty name',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.name = '')),
    expected: [{ path: 'name', rule: 'string.min_len', value: '' }],
  },
  {
    name: 'cluster without name',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => delete message.name),
    expected: [{ path: 'name', rule: 'string.min_len', value: '' }],
  },
  {
    name: 'socket address port 70000',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 70000)),
    expected: [{ path: `${ENDPOINT}.endpoint.address.socket_address.port_value`, rule: 'uint32.lte', value: 70000 }],
  },
  {
    name: 'lb endpoint weight 0',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.load_assignment.endpoints[0].lb_endpoints[0].load_balancing_weight = { value: 0 })),
    expected: [{ path: `${ENDPOINT}.load_balancing_weight`, rule: 'uint32.gte', value: 0 }],
  },
  {
    name: 'missing required oneof',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => delete message.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value),
    expected: [{ path: `${ENDPOINT}.endpoint.address.socket_address.port_specifier`, rule: 'oneof.required', value: undefined }],
  },
  {
    name: 'zero connect timeout',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.connect_timeout = { seconds: 0 })),
    expected: [{ path: 'connect_timeout', rule: 'duration.gt', value: '0s' }],
  },
  {
    name: 'undefined enum number',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.lb_policy = 42)),
    expected: [{ path: 'lb_policy', rule: 'enum.defined_only', value: 42 }],
  },
  {
    name: 'unknown enum name',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.lb_policy = 'FASTEST')),
    expected: [{ path: 'lb_policy', rule: 'enum.known', value: 'FASTEST' }],
  },
  {
    name: 'unknown field',
    typeName: 'envoy.config.cluster.v3.Cluster',
    message: cluster((message) => (message.conect_timeout = { seconds: 1 })),
    expected: [{ path: 'conect_timeout', rule: 'field.known', value: { seconds: 1 } }],
  },
  {
    name: 'bad value inside any',
    typeName: 'envoy.config.listener.v3.Listener',
    message: listener((message) => (message.api_listener.api_listener.stat_prefix = '')),
    expected: [{ path: 'api_listener.api_listener.stat_prefix', rule: 'string.min_len', value: '' }],
  },
  {
    name: 'any missing route specifier',
    typeName: 'envoy.config.listener.v3.Listener',
    message: listener((message) => delete message.api_listener.api_listener.rds),
    expected: [{ path: 'api_listener.api_listener.route_specifier', rule: 'oneof.required', value: undefined }],
  },
  {
    name: 'any of unknown type',
    typeName: 'envoy.config.listener.v3.Listener',
    message: listener((message) => (message.api_listener.api_listener = { '@type': 'type.googleapis.com/example.Missing' })),
    expected: [{ path: 'api_listener.api_listener', rule: 'any.type_known', value: 'type.googleapis.com/example.Missing' }],
  },
  {
    name: 'any with undecodable value',
    typeName: 'envoy.config.listener.v3.Listener',
    message: listener(
      (message) => (message.api_listener.api_listener.http_filters[0].typed_config = { type_url: ROUTER_TYPE_URL, value: Uint8Array.of(0xff, 0xff) }),
    ),
    expected: [{ path: 'api_listener.api_listener.http_filters[0].typed_config', rule: 'any.decode', value: ROUTER_TYPE_URL }],
  },
  {
    name: 'repeated min items',
    typeName: 'envoy.config.route.v3.RouteConfiguration',
    message: { name: 'r', virtual_hosts: [{ name: 'v', domains: [], routes: [] }] },
    expected: [{ path: 'virtual_hosts[0].domains', rule: 'repeated.min_items', value: 0 }],
  },
  {
    name: 'repeated item rule',
    typeName: 'envoy.config.route.v3.RouteConfiguration',
    message: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['ok', 'bad\nhost'] }] },
    expected: [{ path: 'virtual_hosts[0].domains[1]', rule: 'string.well_known_regex', value: 'bad\nhost' }],
  },
  {
    name: 'map key rule',
    typeName: 'envoy.config.core.v3.Metadata',
    message: { filter_metadata: { '': { fields: {} } } },
    expected: [{ path: 'filter_metadata[""]', rule: 'string.min_len', value: '' }],
  },
  {
    name: 'required message',
    typeName: 'envoy.config.core.v3.RuntimeFeatureFlag',
    message: { runtime_key: 'feature' },
    expected: [{ path: 'default_value', rule: 'message.required', value: undefined }],
  },
];

describe('validateMessage', () => {
  test('valid cluster has no issues', () => {
    assert.deepEqual(validateMessage('envoy.config.cluster.v3.Cluster', validCluster()), []);
  });

  test('valid listener has no issues', () => {
    assert.deepEqual(validateMessage('envoy.config.listener.v3.Listener', validListener()), []);
  });

  for (const badCase of BAD_CASES) {
    test(badCase.name, () => {
      const issues = validateMessage(badCase.typeName, badCase.message);
      assert.deepEqual(
        issues.map(({ path, rule, value }) => ({ path, rule, value })),
        badCase.expected,
      );
      for (const issue of issues) assert.ok(issue.message.length > 0, `${issue.path} has a message`);
    });
  }

  test('every issue of one message', () => {
    const message = cluster((edited) => {
      edited.name = '';
      edited.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 70000;
    });
    const issues = validateMessage('envoy.config.cluster.v3.Cluster', message);
    assert.deepEqual(issues.map((issue) => issue.rule), ['string.min_len', 'uint32.lte']);
  });

  test('range with gt and lt', () => {
    // AlternateProtocolsCacheEntry.port has gt 0 and lt 65535.
    const typeName = 'envoy.config.core.v3.AlternateProtocolsCacheOptions.AlternateProtocolsCacheEntry';
    assert.deepEqual(validateMessage(typeName, { hostname: 'a', port: 443 }), []);
    assert.deepEqual(validateMessage(typeName, { hostname: 'a', port: 0 }).map((issue) => issue.rule), ['uint32.gt']);
  });

  test('unknown type name throws', () => {
    assert.throws(() => validateMessage('example.Missing', {}), /no such type/);
  });
});
