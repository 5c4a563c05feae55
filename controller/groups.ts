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

/**
 * Maps a proxy to the key of the group whose snapshot it shares: proxies of the same kind in the
 * same locality get the same resources, so they share one computed and serialized snapshot.
 */
export function groupKeyOf(node: NodeInfo): string {
  return groupKeyOfProfile({ kind: clientKindOf(node), locality: node.locality });
}

/** Encodes a profile as a group key. JSON keeps any character of a locality name unambiguous. */
export function groupKeyOfProfile(profile: ClientProfile): string {
  const locality = profile.locality;
  if (!locality) return JSON.stringify([profile.kind]);
  return JSON.stringify([profile.kind, locality.region, locality.zone, locality.subZone]);
}

/** Inverse of groupKeyOfProfile. */
export function profileOfGroupKey(key: string): ClientProfile {
  const [kind, region, zone, subZone] = JSON.parse(key) as [ClientKind, string?, string?, string?];
  if (region === undefined) return { kind };
  const locality: Locality = { region, zone: zone ?? '', subZone: subZone ?? '' };
  return { kind, locality };
}
