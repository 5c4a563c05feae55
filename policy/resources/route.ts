import type { ProtoObject } from './common';

/** One service reachable through a RouteConfiguration, and the names clients address it by. */
export interface VirtualHostTarget {
  /** Virtual host name, unique within its RouteConfiguration. */
  name: string;
  /** Values of the Host or :authority header that select this service. */
  domains: readonly string[];
  clusterName: string;
  /** The virtual host's routes; undefined sends every request path to `clusterName`. */
  routes?: readonly ProtoObject[];
}

/**
 * Builds a RouteConfiguration with one virtual host per target, with the target's routes or, when
 * it has none, one route that sends every request path to the target's cluster.
 */
export function buildRouteConfiguration(name: string, targets: readonly VirtualHostTarget[]): ProtoObject {
  return {
    name,
    virtual_hosts: targets.map((target) => ({
      name: target.name,
      domains: [...target.domains],
      routes: target.routes !== undefined ? [...target.routes] : [{ match: { prefix: '/' }, route: { cluster: target.clusterName } }],
    })),
  };
}

/**
 * Returns the domains of a service on a sidecar's outbound port: each hostname alone and as
 * `HOSTNAME:PORT`, since clients send the port in Host when it is not the scheme's default. A
 * hostname that already names a port is kept as it is.
 */
export function outboundDomainsOf(hostnames: readonly string[], port: number): string[] {
  return hostnames.flatMap((hostname) => (hostname.includes(':') ? [hostname] : [hostname, `${hostname}:${port}`]));
}
