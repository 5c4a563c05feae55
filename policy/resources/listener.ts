import { ANY_TYPE_URL, FILTER_NAME, adsConfigSource, routerFilter, typedConfig, type ProtoObject } from './common';

/** Address that outbound listeners of sidecars bind to. */
export const OUTBOUND_BIND_ADDRESS = '0.0.0.0';

/**
 * Builds the Listener that a proxyless gRPC client requests for the target `xds:///HOSTNAME`: an
 * API listener named after the hostname, whose HttpConnectionManager fetches the
 * RouteConfiguration `routeConfigName` over ADS and, with `faultFilter`, runs the fault filter.
 */
export function buildApiListener(hostname: string, routeConfigName: string, faultFilter = false): ProtoObject {
  return {
    name: hostname,
    api_listener: { api_listener: httpConnectionManager(hostname, routeConfigName, faultFilter) },
  };
}

/** Returns the name of the outbound listener of a port, for example `outbound_8080`. */
export function outboundListenerNameOf(port: number): string {
  return `outbound_${port}`;
}

/**
 * Builds an Envoy outbound listener on `0.0.0.0:PORT` whose HttpConnectionManager routes by Host
 * with the RouteConfiguration `routeConfigName`.
 */
export function buildHttpOutboundListener(port: number, routeConfigName: string, faultFilter = false): ProtoObject {
  const name = outboundListenerNameOf(port);
  const filter = {
    name: FILTER_NAME.httpConnectionManager,
    typed_config: httpConnectionManager(name, routeConfigName, faultFilter),
  };
  return outboundListener(port, filter);
}

/** Builds an Envoy outbound listener on `0.0.0.0:PORT` that proxies TCP to one cluster. */
export function buildTcpOutboundListener(port: number, clusterName: string): ProtoObject {
  const filter = {
    name: FILTER_NAME.tcpProxy,
    typed_config: typedConfig(ANY_TYPE_URL.tcpProxy, { stat_prefix: outboundListenerNameOf(port), cluster: clusterName }),
  };
  return outboundListener(port, filter);
}

function outboundListener(port: number, filter: ProtoObject): ProtoObject {
  return {
    name: outboundListenerNameOf(port),
    address: { socket_address: { address: OUTBOUND_BIND_ADDRESS, port_value: port } },
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [filter] }],
  };
}

/**
 * Builds an HttpConnectionManager. With `faultFilter`, the fault filter runs before the router
 * with an empty configuration, so only routes with their own fault configuration inject faults.
 */
function httpConnectionManager(statPrefix: string, routeConfigName: string, faultFilter: boolean): ProtoObject {
  const filters = faultFilter ? [{ name: FILTER_NAME.fault, typed_config: typedConfig(ANY_TYPE_URL.httpFault) }, routerFilter()] : [routerFilter()];
  return typedConfig(ANY_TYPE_URL.httpConnectionManager, {
    stat_prefix: statPrefix,
    codec_type: 'AUTO',
    rds: { config_source: adsConfigSource(), route_config_name: routeConfigName },
    http_filters: filters,
  });
}
