import { createHash } from 'node:crypto';
import { messageType, messageNameOf, type TypeUrl } from './protos';

/** One serialized xDS resource. The bytes are shared by every stream that is sent it. */
export interface EncodedResource {
  readonly name: string;
  readonly typeUrl: TypeUrl;
  /** Content hash of `body`: the same resource has the same version on every replica and restart. */
  readonly version: string;
  /** The resource message, serialized: the `value` of the `Any` it travels in. */
  readonly body: Uint8Array;
}

/** Every resource of one type in a snapshot. */
export interface TypeSnapshot {
  /** Content hash over the names and versions of the resources: the SotW `version_info`. */
  readonly version: string;
  readonly resources: ReadonlyMap<string, EncodedResource>;
}

/** An immutable set of resources of every type, served to one group of proxies. */
export interface Snapshot {
  readonly types: ReadonlyMap<TypeUrl, TypeSnapshot>;
  /** What produced the snapshot (a discovery revision, a policy revision), for logs and traces. */
  readonly cause: string;
}

/** Content hash truncated to 16 hex characters (64 bits), enough to tell versions apart. */
export function contentHash(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

/**
 * Encodes a resource given as a protobufjs plain object (proto field names, `Any` as `{ '@type', ... }`)
 * into its wire form. NOTE: fromObject drops fields that the type does not have, so callers check
 * their objects against Envoy's rules (validate.ts) in tests.
 */
export function encodeResource(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
  const type = messageType(messageNameOf(typeUrl));
  const body = type.encode(type.fromObject(message)).finish();
  return { name, typeUrl, version: contentHash(body), body };
}

/** Builds a type snapshot and derives its version from the resources it contains. */
export function buildTypeSnapshot(resources: Iterable<EncodedResource>): TypeSnapshot {
  const sorted = [...resources].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const map = new Map<string, EncodedResource>();
  const hash = createHash('sha256');
  for (const resource of sorted) {
    if (map.has(resource.name)) throw new Error(`duplicate resource name "${resource.name}" for ${resource.typeUrl}`);
    map.set(resource.name, resource);
    hash.update(resource.name).update('\0').update(resource.version).update('\n');
  }
  return { version: hash.digest('hex').slice(0, 16), resources: map };
}

/** Builds a snapshot from resources of any types. Types with no resources are present and empty. */
export function buildSnapshot(byType: ReadonlyMap<TypeUrl, Iterable<EncodedResource>>, cause: string): Snapshot {
  const types = new Map<TypeUrl, TypeSnapshot>();
  for (const [typeUrl, resources] of byType) types.set(typeUrl, buildTypeSnapshot(resources));
  return { types, cause };
}
