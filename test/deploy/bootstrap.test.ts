import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import { validateBootstrapConfig } from '@grpc/grpc-js-xds/build/src/xds-bootstrap';
import { envoyProtos, messageType } from '../../xds';
import { parseDuration, toProtoObject } from './proto-object';

// Compiled tests run from dist/test/deploy, three levels below the repository root.
const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..', '..');
const ENVOY_BOOTSTRAP = path.join(REPOSITORY_ROOT, 'deploy', 'envoy', 'bootstrap.yaml');
const GRPC_BOOTSTRAP = path.join(REPOSITORY_ROOT, 'deploy', 'grpc', 'bootstrap.json');

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Loads the proto of the `@type` the bootstrap uses, which xds/protos.ts does not load itself. */
function loadProtocolOptionsProto(): void {
  const root = envoyProtos();
  if (root.lookup(HTTP_PROTOCOL_OPTIONS)) return;
  root.loadSync('envoy/extensions/upstreams/http/v3/http_protocol_options.proto', { keepCase: true });
  root.resolveAll();
}

/** Parses the Envoy bootstrap YAML, encodes it as a Bootstrap message and decodes it again. */
function decodeEnvoyBootstrap(): Record<string, any> {
  loadProtocolOptionsProto();
  const bootstrapType = messageType('envoy.config.bootstrap.v3.Bootstrap');
  const data = parseYaml(fs.readFileSync(ENVOY_BOOTSTRAP, 'utf8'));
  const message = bootstrapType.fromObject(toProtoObject(bootstrapType, data));
  const bytes = bootstrapType.encode(message).finish();
  return bootstrapType.toObject(bootstrapType.decode(bytes), { enums: String, longs: Number, json: true });
}

describe('parseDuration', () => {
  const cases: [string, { seconds: number; nanos: number }][] = [
    ['5s', { seconds: 5, nanos: 0 }],
    ['0.25s', { seconds: 0, nanos: 250_000_000 }],
    ['1.000000001s', { seconds: 1, nanos: 1 }],
    ['-1.5s', { seconds: -1, nanos: -500_000_000 }],
  ];
  for (const [text, expected] of cases) {
    test(`parses ${text}`, () => {
      assert.deepEqual(parseDuration(text, 'timeout'), expected);
    });
  }

  test('rejects text without a unit', () => {
    assert.throws(() => parseDuration('5', 'connect_timeout'), /connect_timeout: invalid duration "5"/);
  });
});

describe('toProtoObject', () => {
  test('rejects an unknown field', () => {
    const bootstrapType = messageType('envoy.config.bootstrap.v3.Bootstrap');
    assert.throws(
      () => toProtoObject(bootstrapType, { node: { id: 'a', clustr: 'b' } }),
      /Bootstrap\.node\.clustr: unknown field of \.envoy\.config\.core\.v3\.Node/,
    );
  });
});

describe('Envoy bootstrap', () => {
  const bootstrap = decodeEnvoyBootstrap();

  test('names the node and its locality', () => {
    assert.equal(bootstrap.node.id, 'checkout-sidecar-1');
    assert.equal(bootstrap.node.cluster, 'checkout');
    assert.deepEqual(bootstrap.node.locality, { region: 'eu-west', zone: 'eu-west-1a', sub_zone: 'rack-1' });
  });

  test('uses ADS over gRPC v3', () => {
    const ads = bootstrap.dynamic_resources.ads_config;
    assert.equal(ads.api_type, 'GRPC');
    assert.equal(ads.transport_api_version, 'V3');
    assert.equal(ads.grpc_services.length, 1);
    assert.equal(ads.grpc_services[0].envoy_grpc.cluster_name, 'meridian_xds');
  });

  test('takes listeners and clusters from ADS', () => {
    for (const key of ['lds_config', 'cds_config']) {
      const source = bootstrap.dynamic_resources[key];
      assert.deepEqual(source.ads, {}, `${key} does not point at ADS`);
      assert.equal(source.resource_api_version, 'V3', `${key} is not V3`);
    }
  });

  test('points the xDS cluster at 127.0.0.1:18000', () => {
    const clusters = bootstrap.static_resources.clusters;
    assert.equal(clusters.length, 1);
    const cluster = clusters[0];
    assert.equal(cluster.name, 'meridian_xds');
    assert.equal(cluster.type, 'STATIC');
    assert.equal(cluster.connect_timeout.seconds, 5);
    assert.equal(cluster.load_assignment.cluster_name, 'meridian_xds');

    const address = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    assert.equal(address.address, '127.0.0.1');
    assert.equal(address.port_value, 18000);
  });

  test('speaks HTTP/2 to Meridian', () => {
    const options = bootstrap.static_resources.clusters[0].typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS];
    assert.equal(options['@type'], `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`);
    const keepalive = options.explicit_http_config.http2_protocol_options.connection_keepalive;
    assert.equal(keepalive.interval.seconds, 30);
    assert.equal(keepalive.timeout.seconds, 5);
  });

  test('serves the Envoy admin on loopback', () => {
    assert.deepEqual(bootstrap.admin.address.socket_address, { address: '127.0.0.1', port_value: 9901 });
  });

  test('packs the protocol options as bytes', () => {
    // Without the inner type loaded, protobufjs would encode the Any empty and lose the HTTP/2 setting.
    const bootstrapType = messageType('envoy.config.bootstrap.v3.Bootstrap');
    const data = parseYaml(fs.readFileSync(ENVOY_BOOTSTRAP, 'utf8'));
    const message = bootstrapType.fromObject(toProtoObject(bootstrapType, data)) as protobuf.Message & Record<string, any>;
    const any = message.static_resources.clusters[0].typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS];
    assert.equal(any.type_url, `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`);
    assert.ok(any.value.length > 0, 'the Any holds no bytes');
  });
});

describe('gRPC xDS bootstrap', () => {
  const raw = JSON.parse(fs.readFileSync(GRPC_BOOTSTRAP, 'utf8'));

  test('passes the grpc-js-xds validator', () => {
    const config = validateBootstrapConfig(raw);
    assert.equal(config.xdsServers.length, 1);
    assert.equal(config.xdsServers[0]!.server_uri, '127.0.0.1:18000');
    assert.deepEqual(config.xdsServers[0]!.channel_creds.map((creds) => creds.type), ['insecure']);
    assert.deepEqual(config.xdsServers[0]!.server_features, ['xds_v3']);
  });

  test('names the node and its locality', () => {
    const config = validateBootstrapConfig(raw);
    assert.equal(config.node.id, 'catalog-grpc-client-1');
    assert.deepEqual(config.node.locality, { region: 'eu-west', zone: 'eu-west-1b', sub_zone: 'rack-2' });
  });

  test('node encodes as an Envoy Node', () => {
    const nodeType = messageType('envoy.config.core.v3.Node');
    const { metadata: _metadata, ...node } = raw.node;
    const bytes = nodeType.encode(nodeType.fromObject(toProtoObject(nodeType, node))).finish();
    const decoded = nodeType.toObject(nodeType.decode(bytes)) as Record<string, any>;
    assert.equal(decoded.id, 'catalog-grpc-client-1');
    assert.equal(decoded.locality.sub_zone, 'rack-2');
  });
});
