import { createHash } from 'node:crypto';
import type { Locality } from '../discovery';
import type { HealthCheckPolicy } from '../policy';
import { zoneKeyOf } from './model';

/** A connected prober. */
export interface ProberInfo {
  id: string;
  locality: Locality;
  /** Where the other probers connect to measure round-trip times; undefined when not offered. */
  probeAddress?: { host: string; port: number };
}

/** An endpoint to check, with its locality (empty strings when unknown). */
export interface TargetEndpoint {
  address: string;
  port: number;
  locality: Locality;
}

/** A service whose endpoints the probers check. */
export interface HealthTarget {
  service: string;
  /** HDS `cluster_name`: the Envoy cluster name of the service. */
  clusterName: string;
  check: HealthCheckPolicy;
  endpoints: readonly TargetEndpoint[];
}

/** The endpoints of one service that one prober checks. */
export interface AssignedTarget {
  target: HealthTarget;
  endpoints: TargetEndpoint[];
}

/** Default number of probers outside an endpoint's own locality that check it. */
export const DEFAULT_REMOTE_PROBERS = 1;

/**
 * Assigns every endpoint to one prober of its own zone (of its region when the zone has none) and
 * to `remoteProbers` probers outside its zone, when such probers exist. An endpoint with no
 * prober in its region gets `remoteProbers + 1` probers from elsewhere.
 *
 * Choices use rendezvous hashing on (prober, endpoint), so a prober that joins or leaves moves
 * only the endpoints it gains or had; the rest keep their probers. Returns the assignment of
 * every prober, with an empty list for probers that get nothing.
 */
export function assignEndpoints(
  targets: readonly HealthTarget[],
  probers: readonly ProberInfo[],
  remoteProbers = DEFAULT_REMOTE_PROBERS,
): Map<string, AssignedTarget[]> {
  const result = new Map<string, Map<string, AssignedTarget>>();
  for (const prober of probers) result.set(prober.id, new Map());

  for (const target of targets) {
    for (const endpoint of target.endpoints) {
      for (const prober of chooseProbers(target.service, endpoint, probers, remoteProbers)) {
        const byService = result.get(prober.id)!;
        let assigned = byService.get(target.service);
        if (assigned === undefined) {
          assigned = { target, endpoints: [] };
          byService.set(target.service, assigned);
        }
        assigned.endpoints.push(endpoint);
      }
    }
  }
  return new Map([...result].map(([id, byService]) => [id, [...byService.values()]]));
}

function chooseProbers(service: string, endpoint: TargetEndpoint, probers: readonly ProberInfo[], remoteProbers: number): ProberInfo[] {
  const key = `${service}|${endpoint.address}|${endpoint.port}`;
  const zone = zoneKeyOf(endpoint.locality);
  const known = endpoint.locality.region !== '';

  const sameZone = probers.filter((prober) => known && zoneKeyOf(prober.locality) === zone);
  const sameRegion = probers.filter((prober) => known && prober.locality.region === endpoint.locality.region);
  const own = rank(sameZone.length > 0 ? sameZone : sameRegion, key).slice(0, 1);

  const others = probers.filter((prober) => !known || zoneKeyOf(prober.locality) !== zone);
  const remoteCount = own.length > 0 ? remoteProbers : remoteProbers + 1;
  const remote = rank(others, key).filter((prober) => !own.includes(prober)).slice(0, remoteCount);
  return [...own, ...remote];
}

/** Orders probers by their rendezvous weight for `key`, highest first. */
function rank(probers: readonly ProberInfo[], key: string): ProberInfo[] {
  const weighted = probers.map((prober) => ({ prober, weight: createHash('sha256').update(`${prober.id}\0${key}`).digest('hex') }));
  weighted.sort((a, b) => (a.weight < b.weight ? 1 : a.weight > b.weight ? -1 : 0));
  return weighted.map((entry) => entry.prober);
}
