import type { Locality } from '../discovery';
import type { ClientKind, ClientProfile } from '../policy';
import type { NodeInfo } from '../xds';

/** Node metadata key that overrides the client kind guessed from `user_agent_name`. */
export const CLIENT_KIND_METADATA_KEY = 'MERIDIAN_CLIENT_KIND';

/**
 * Tells Envoy from proxyless gRPC clients. gRPC libraries name themselves in `user_agent_name`
 * ("gRPC Node Pure JS", "gRPC Go", "gRPC Java"); Envoy sends "envoy". Metadata can override it.
 */
export function clientKindOf(node: NodeInfo): ClientKind {
  const declared = node.metadata[CLIENT_KIND_METADATA_KEY];
  if (declared === 'grpc' || declared === 'envoy') return declared;
  return /grpc/i.test(node.userAgentName) ? 'grpc' : 'envoy';
}

/** Node metadata key of the proxy's Kubernetes cluster or site, for failover priority and overrides. */
export const CLUSTER_METADATA_KEY = 'MERIDIAN_CLUSTER';
/** Node metadata key of the proxy's network, for failover priority. */
export const NETWORK_METADATA_KEY = 'MERIDIAN_NETWORK';
/**
 * Node metadata key of the proxy's group labels (a struct of strings), for override selectors and
 * `label:` failover priority keys. They are part of the group key, so they must describe a group
 * of proxies (such as `tier: edge`), never one proxy.
 */
export const GROUP_LABELS_METADATA_KEY = 'MERIDIAN_GROUP_LABELS';

/**
 * Maps a proxy to the key of the group whose snapshot it shares. Proxies of the same kind,
 * locality, Kubernetes cluster, network and group labels get the same resources, so they share
 * one computed and serialized snapshot.
 */
export function groupKeyOf(node: NodeInfo): string {
  return groupKeyOfProfile(profileOf(node));
}

/** Returns what the policy engine reads of a proxy's node. */
export function profileOf(node: NodeInfo): ClientProfile {
  const profile: ClientProfile = { kind: clientKindOf(node) };
  if (node.locality !== undefined) profile.locality = node.locality;
  const cluster = node.metadata[CLUSTER_METADATA_KEY];
  if (typeof cluster === 'string' && cluster !== '') profile.cluster = cluster;
  const network = node.metadata[NETWORK_METADATA_KEY];
  if (typeof network === 'string' && network !== '') profile.network = network;
  const labels = stringRecordOf(node.metadata[GROUP_LABELS_METADATA_KEY]);
  if (labels !== undefined) profile.labels = labels;
  return profile;
}

function stringRecordOf(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  if (entries.length === 0) return undefined;
  entries.sort(([a], [b]) => (a < b ? -1 : 1));
  return Object.fromEntries(entries);
}

/**
 * Encodes a profile as a group key. JSON keeps any character of a locality name unambiguous. A
 * profile with only a kind and a locality keeps the short form `[kind, region, zone, subZone]`.
 */
export function groupKeyOfProfile(profile: ClientProfile): string {
  const locality = profile.locality;
  const placement = placementOf(profile);
  if (placement === undefined) {
    if (!locality) return JSON.stringify([profile.kind]);
    return JSON.stringify([profile.kind, locality.region, locality.zone, locality.subZone]);
  }
  return JSON.stringify([profile.kind, locality?.region ?? null, locality?.zone ?? null, locality?.subZone ?? null, placement]);
}

function placementOf(profile: ClientProfile): { cluster?: string; network?: string; labels?: Record<string, string> } | undefined {
  const placement: { cluster?: string; network?: string; labels?: Record<string, string> } = {};
  if (profile.cluster !== undefined) placement.cluster = profile.cluster;
  if (profile.network !== undefined) placement.network = profile.network;
  if (profile.labels !== undefined && Object.keys(profile.labels).length > 0) placement.labels = { ...profile.labels };
  return Object.keys(placement).length > 0 ? placement : undefined;
}

/** Inverse of groupKeyOfProfile. */
export function profileOfGroupKey(key: string): ClientProfile {
  const [kind, region, zone, subZone, placement] = JSON.parse(key) as [ClientKind, (string | null)?, (string | null)?, (string | null)?, ReturnType<typeof placementOf>?];
  const profile: ClientProfile = { kind };
  if (region !== undefined && region !== null) {
    const locality: Locality = { region, zone: zone ?? '', subZone: subZone ?? '' };
    profile.locality = locality;
  }
  if (placement?.cluster !== undefined) profile.cluster = placement.cluster;
  if (placement?.network !== undefined) profile.network = placement.network;
  if (placement?.labels !== undefined) profile.labels = placement.labels;
  return profile;
}
