/** A resource or sub-message in protobufjs plain-object form, with proto field names (snake_case). */
export type ProtoObject = { [field: string]: unknown };

/** Type URLs of the messages that travel inside `Any` fields of Meridian's resources. */
export const ANY_TYPE_URL = {
  httpConnectionManager:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  tcpProxy: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  httpProtocolOptions: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  httpFault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
} as const;

/** Extension names, as Envoy's docs list them. */
export const FILTER_NAME = {
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  router: 'envoy.filters.http.router',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  fault: 'envoy.filters.http.fault',
  /** Key of `Cluster.typed_extension_protocol_options` for HTTP upstream options. */
  httpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
} as const;

/**
 * Returns an `Any` in the form protobufjs's `fromObject` accepts: the message's fields next to its
 * type URL under `@type`. protobufjs looks the type up in the root of the outer message and
 * encodes the fields into `value`, so the type must be loaded by `envoyProtos()`.
 */
export function typedConfig(typeUrl: string, fields: ProtoObject = {}): ProtoObject {
  return { '@type': typeUrl, ...fields };
}

/** Returns a config source that makes the client fetch the resource on its ADS stream. */
export function adsConfigSource(): ProtoObject {
  return { ads: {}, resource_api_version: 'V3' };
}

/** The router filter, which must be the last HTTP filter of an HttpConnectionManager. */
export function routerFilter(): ProtoObject {
  return { name: FILTER_NAME.router, typed_config: typedConfig(ANY_TYPE_URL.router) };
}

/** Returns a `google.protobuf.Duration` of whole milliseconds. */
export function durationOf(ms: number): ProtoObject {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** Returns an Envoy `FractionalPercent` of a percentage with up to four decimals, in parts per million. */
export function fractionalPercentOf(percent: number): ProtoObject {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}
