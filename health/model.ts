import type { Locality } from '../discovery';

/** The settled result of one prober's checks of one endpoint. */
export type ProbeStatus = 'healthy' | 'unhealthy';

/** One prober's latest settled result for one endpoint. */
export interface ProberVote {
  prober: string;
  locality: Locality;
  status: ProbeStatus;
}

/** The fresh votes on one endpoint of one service. Votes of silent probers are left out. */
export interface EndpointVotes {
  service: string;
  address: string;
  port: number;
  /** All fields are empty strings when the endpoint's locality is unknown. */
  locality: Locality;
  votes: readonly ProberVote[];
}

/** The health decided for one endpoint, with the time of its last change. */
export interface EndpointDecision {
  healthy: boolean;
  /** Milliseconds since the epoch of the last change, or 0 when it never changed. */
  changedAt: number;
}

/**
 * A prober whose checks of every endpoint in a locality fail while another prober reaches an
 * endpoint there. Its votes on that locality are not counted.
 */
export interface Partition {
  prober: string;
  /** `region/zone` of the prober. */
  from: string;
  /** `region/zone` of the endpoints it cannot reach. */
  to: string;
}

/** Ejections that one prober alone would have caused, held because they exceed the share limit. */
export interface HeldChange {
  service: string;
  prober: string;
  /** `ADDRESS:PORT` of each held endpoint. */
  endpoints: string[];
  /** Share of the service's endpoints that the prober's votes would have ejected, from 0 to 1. */
  share: number;
}

/** An endpoint whose decision waits for the hold-down time to pass. */
export interface DampedChange {
  key: string;
  healthy: boolean;
  /** Milliseconds since the epoch when the change may be applied. */
  notBefore: number;
}

/** Returns the key of an endpoint of a service in decisions: `SERVICE|ADDRESS:PORT`. */
export function endpointKeyOf(service: string, address: string, port: number): string {
  return `${service}|${hostPortOf(address, port)}`;
}

/** Formats an address and port, with brackets around IPv6 addresses. */
export function hostPortOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Returns `region/zone`, the level at which probers and endpoints share a locality. */
export function zoneKeyOf(locality: Locality | undefined): string {
  if (locality === undefined) return '/';
  return `${locality.region}/${locality.zone}`;
}
