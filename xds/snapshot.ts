import { createHash, hash } from 'node:crypto';
import { ALL_TYPE_URLS, messageType, messageNameOf, type TypeUrl } from './protos';
import { referencesOf, type ResourceRef } from './references';

/** One serialized xDS resource. The bytes are shared by every stream that is sent it. */
export interface EncodedResource {
  readonly name: string;
  readonly typeUrl: TypeUrl;
  /** Content hash of `body`: the same resource has the same version on every replica and restart. */
  readonly version: string;
  /** The resource message, serialized: the `value` of the `Any` it travels in. */
  readonly body: Uint8Array;
  /** Resources this one names, which the proxy needs first (make-before-break). Default none. */
  readonly references?: readonly ResourceRef[];
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
  /** Cause of the snapshot (a discovery revision, a policy revision), for logs and traces. */
  readonly cause: string;
}

/** Content hash truncated to 16 hex characters (64 bits), enough to tell versions apart. */
export function contentHash(data: Uint8Array | string): string {
  return hash('sha256', data, 'hex').slice(0, 16);
}

/**
 * Encodes a resource given as a protobufjs plain object (proto field names, `Any` as `{ '@type', ... }`)
 * into its wire form. NOTE: fromObject drops fields that the type does not have, so callers check
 * their objects against Envoy's rules (validate.ts) in tests.
 */
export function encodeResource(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
  const type = messageType(messageNameOf(typeUrl));
  const body = type.encode(type.fromObject(message)).finish();
  const references = referencesOf(typeUrl, message);
  return { name, typeUrl, version: contentHash(body), body, ...(references.length > 0 ? { references } : {}) };
}

/**
 * Returns the version of a set of resources: a content hash over their names and versions, so the
 * same set has the same version on every replica and after a restart.
 */
export function versionOfResources(resources: Iterable<{ readonly name: string; readonly version: string }>): string {
  const sorted = [...resources].sort(byCodeUnitName);
  const hash = createHash('sha256');
  for (const resource of sorted) hash.update(resource.name).update('\0').update(resource.version).update('\n');
  return hash.digest('hex').slice(0, 16);
}

/** Builds a type snapshot and derives its version from the resources it contains. */
export function buildTypeSnapshot(resources: Iterable<EncodedResource>): TypeSnapshot {
  const sorted = [...resources].sort(byCodeUnitName);
  const map = new Map<string, EncodedResource>();
  for (const resource of sorted) {
    if (map.has(resource.name)) throw new Error(`duplicate resource name "${resource.name}" for ${resource.typeUrl}`);
    map.set(resource.name, resource);
  }
  return { version: versionOfResources(sorted), resources: map };
}

/** Builds a snapshot from resources of any types. Types with no resources are present and empty. */
export function buildSnapshot(byType: ReadonlyMap<TypeUrl, Iterable<EncodedResource>>, cause: string): Snapshot {
  const types = new Map<TypeUrl, TypeSnapshot>();
  for (const [typeUrl, resources] of byType) types.set(typeUrl, buildTypeSnapshot(resources));
  return { types, cause };
}

/** A reference from one resource of a snapshot to a resource that the snapshot does not contain. */
export interface SnapshotProblem {
  typeUrl: TypeUrl;
  name: string;
  missing: ResourceRef;
}

/**
 * Checks that every resource a snapshot refers to is in it. Returns one problem per dangling
 * reference, or an empty list. References to a type the snapshot does not carry are not checked,
 * so a snapshot of clusters alone is consistent.
 */
export function checkSnapshot(snapshot: Snapshot): SnapshotProblem[] {
  const problems: SnapshotProblem[] = [];
  for (const typeUrl of ALL_TYPE_URLS) {
    for (const resource of snapshot.types.get(typeUrl)?.resources.values() ?? []) {
      for (const ref of resource.references ?? []) {
        const target = snapshot.types.get(ref.typeUrl);
        if (target && !target.resources.has(ref.name)) problems.push({ typeUrl, name: resource.name, missing: ref });
      }
    }
  }
  return problems;
}

/** Orders resources by name in UTF-16 code unit order, the same on every machine and locale. */
function byCodeUnitName(a: { name: string }, b: { name: string }): number {
  if (a.name === b.name) return 0;
  return a.name < b.name ? -1 : 1;
}
