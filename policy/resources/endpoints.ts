import type { Endpoint, Locality, Service } from '../../discovery';
import type { LocalityGroup } from '../locality';
import { clusterNameOf } from './cluster';
import type { ProtoObject } from './common';

/** Options of `buildClusterLoadAssignment`. */
export interface AssignmentOptions {
  /** Name of the assignment; default the service's cluster name. Subsets use their own. */
  clusterName?: string;
  /** Envoy's overprovisioning factor in percent; undefined leaves Envoy's default of 140. */
  overprovisioningFactor?: number;
}

/**
 * Builds the ClusterLoadAssignment of a service from its locality groups. Every
 * `LocalityLbEndpoints` carries a `locality` (empty for unknown localities) because gRPC clients
 * reject one without it, and a `load_balancing_weight` because gRPC clients drop a locality
 * without one.
 *
 * NOTE: gRPC clients (grpc-js-xds 1.14) ignore `policy.overprovisioning_factor`: they move to the
 * next priority only when a priority has no ready endpoint, never on a partial loss.
 */
export function buildClusterLoadAssignment(
  service: Service,
  groups: readonly LocalityGroup[],
  endpointHealth?: EndpointHealthOf,
  options: AssignmentOptions = {},
): ProtoObject {
  const healthOf: EndpointHealthOf = endpointHealth ?? (() => undefined);
  const assignment: ProtoObject = {
    cluster_name: options.clusterName ?? clusterNameOf(service),
    endpoints: groups.map((group) => buildLocalityLbEndpoints(group, (endpoint) => healthOf(service.name, endpoint.address, endpoint.port))),
  };
  if (options.overprovisioningFactor !== undefined) assignment.policy = { overprovisioning_factor: { value: options.overprovisioningFactor } };
  return assignment;
}

/** Decided health of an endpoint of a service; undefined when unchecked. */
type EndpointHealthOf = (service: string, address: string, port: number) => boolean | undefined;

function buildLocalityLbEndpoints(group: LocalityGroup, healthOf: (endpoint: Endpoint) => boolean | undefined): ProtoObject {
  return {
    locality: buildLocality(group.locality),
    priority: group.priority,
    load_balancing_weight: { value: group.weight },
    lb_endpoints: group.endpoints.map((endpoint) => buildLbEndpoint(endpoint, healthOf(endpoint))),
  };
}

function buildLocality(locality: Locality): ProtoObject {
  const message: ProtoObject = {};
  if (locality.region !== '') message.region = locality.region;
  if (locality.zone !== '') message.zone = locality.zone;
  if (locality.subZone !== '') message.sub_zone = locality.subZone;
  return message;
}

function buildLbEndpoint(endpoint: Endpoint, healthy: boolean | undefined): ProtoObject {
  return {
    endpoint: { address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } },
    load_balancing_weight: { value: endpoint.weight },
    // Endpoints that no prober checks are offered as usable; only a quorum decision marks one UNHEALTHY.
    health_status: healthy === false ? 'UNHEALTHY' : 'HEALTHY',
  };
}

/**
 * Returns the endpoints without repeats of an address and port, keeping the first. gRPC clients
 * reject a ClusterLoadAssignment that lists one address twice, which happens when two discovery
 * sources report the same workload.
 */
export function uniqueEndpoints(endpoints: readonly Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  const unique: Endpoint[] = [];
  for (const endpoint of endpoints) {
    const key = `${endpoint.address}|${endpoint.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(endpoint);
  }
  return unique;
}
