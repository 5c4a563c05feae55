// Holds state-of-the-world ADS streams open against Meridian with k6 (https://k6.io) and measures
// how long each stream waits for its Clusters and ClusterLoadAssignments.
//
//   DEPS=node_modules/@grpc/grpc-js-xds/deps
//   k6 run -e XDS_ADDRESS=127.0.0.1:18000 \
//     -e PROTO_PATHS=$DEPS/envoy-api,$DEPS/xds,$DEPS/googleapis,$DEPS/protoc-gen-validate \
//     loadtest/k6/xds-stream.js
//
// PROTO_PATHS lists the include folders of Envoy's protos, comma-separated; the copy that
// @grpc/grpc-js-xds ships has all of them. REGION and ZONE set the locality of the simulated
// proxies, VUS and DURATION the number of streams and how long the test runs, HOLD_SECONDS how
// long each stream stays open.
import { Client, Stream } from 'k6/net/grpc';
import { check } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import { setTimeout } from 'k6/timers';

const XDS_ADDRESS = __ENV.XDS_ADDRESS || '127.0.0.1:18000';
const PROTO_PATHS = (__ENV.PROTO_PATHS || '').split(',').filter((path) => path !== '');
const HOLD_SECONDS = Number(__ENV.HOLD_SECONDS || 10);

const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ENDPOINTS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const ADS_METHOD = 'envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || '30s',
  thresholds: {
    xds_clusters_ms: ['p(99)<1000'],
    xds_endpoints_ms: ['p(99)<1000'],
    xds_stream_errors: ['count==0'],
  },
};

const clustersMs = new Trend('xds_clusters_ms', true);
const endpointsMs = new Trend('xds_endpoints_ms', true);
const streamErrors = new Counter('xds_stream_errors');

// Responses carry resources in Any fields, so every message type they may hold is loaded.
const client = new Client();
client.load(
  PROTO_PATHS,
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
);

export default function () {
  client.connect(XDS_ADDRESS, { plaintext: true });
  const stream = new Stream(client, ADS_METHOD);
  const started = Date.now();
  const node = {
    id: `k6-${__VU}-${__ITER}`,
    cluster: 'k6',
    userAgentName: 'envoy',
    locality: { region: __ENV.REGION || 'central', zone: __ENV.ZONE || 'central-a' },
  };
  let sawClusters = false;
  let sawEndpoints = false;

  stream.on('data', (response) => {
    // ACK: echo the version and nonce, keep the subscription.
    if (response.typeUrl === CLUSTER) {
      if (!sawClusters) clustersMs.add(Date.now() - started);
      sawClusters = true;
      const names = response.resources.map((cluster) => (cluster.edsClusterConfig && cluster.edsClusterConfig.serviceName) || cluster.name);
      stream.write({ typeUrl: CLUSTER, versionInfo: response.versionInfo, responseNonce: response.nonce });
      stream.write({ typeUrl: ENDPOINTS, resourceNames: names });
    } else if (response.typeUrl === ENDPOINTS) {
      if (!sawEndpoints) endpointsMs.add(Date.now() - started);
      sawEndpoints = true;
      stream.write({
        typeUrl: ENDPOINTS,
        versionInfo: response.versionInfo,
        responseNonce: response.nonce,
        resourceNames: response.resources.map((assignment) => assignment.clusterName),
      });
    }
  });

  stream.on('error', (error) => {
    streamErrors.add(1);
    console.error(`xDS stream failed: ${error.message}`);
  });

  stream.on('end', () => {
    check(null, {
      'clusters received': () => sawClusters,
      'endpoints received': () => sawEndpoints,
    });
    client.close();
  });

  stream.write({ node, typeUrl: CLUSTER });
  setTimeout(() => stream.end(), HOLD_SECONDS * 1000);
}
