import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/** Type URLs of the resources Meridian serves, defined once. */
export const TYPE_URL = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type TypeUrl = (typeof TYPE_URL)[keyof typeof TYPE_URL];

export const ALL_TYPE_URLS: readonly TypeUrl[] = [
  TYPE_URL.cluster,
  TYPE_URL.clusterLoadAssignment,
  TYPE_URL.listener,
  TYPE_URL.routeConfiguration,
];

/** Returns the fully qualified message name of a type URL (the part after the last '/'). */
export function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

// Proto files whose messages Meridian encodes or decodes. Their imports are loaded with them.
const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/cluster/v3/cds.proto',
  'envoy/service/endpoint/v3/eds.proto',
  'envoy/service/listener/v3/lds.proto',
  'envoy/service/route/v3/rds.proto',
  'envoy/service/health/v3/hds.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
];

/** Folders inside @grpc/grpc-js-xds that hold Envoy's, xDS's, Google's and PGV's proto trees. */
export function protoIncludeDirs(): string[] {
  const packageDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => path.join(packageDir, 'deps', dir));
}

let loadedRoot: protobuf.Root | undefined;

/**
 * Loads Envoy's v3 protos from the copy that @grpc/grpc-js-xds ships, once per process.
 * Field names keep their proto spelling (snake_case), as in Envoy's JSON and YAML.
 */
export function envoyProtos(): protobuf.Root {
  if (loadedRoot) return loadedRoot;

  // The Envoy protos import descriptor.proto for their options. protobufjs bundles it as JSON
  // but registers it only on request.
  const descriptor = require('protobufjs/google/protobuf/descriptor.json');
  protobuf.common('descriptor', descriptor.nested.google.nested.protobuf.nested);

  const includeDirs = protoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    // Bundled well-known types (google/protobuf/*.proto) resolve by their bare name.
    return target;
  };
  root.loadSync(PROTO_FILES, { keepCase: true });
  root.resolveAll();
  loadedRoot = root;
  return root;
}

/** Looks up a message type by its fully qualified name, for example `envoy.config.cluster.v3.Cluster`. */
export function messageType(fullName: string): protobuf.Type {
  return envoyProtos().lookupType(fullName);
}
