import { stringify } from 'yaml';
import type { Locality, RegistrySnapshot } from '../discovery';
import { ALL_TYPE_URLS, messageNameOf, type TypeUrl } from '../xds';
import type { ClientKind, ClientProfile, TrafficPolicy } from './model';
import { buildResources, type NamedResource } from './resources/build';
import type { ProtoObject } from './resources/common';
import { unifiedDiff } from './text-diff';

/** The inputs of the policy engine: what a diff compares. */
export interface MeshConfiguration {
  registry: RegistrySnapshot;
  policies: readonly TrafficPolicy[];
}

/** A proxy group to compare, with the number of proxies connected in it (0 for a dry run on files). */
export interface DiffGroup {
  profile: ClientProfile;
  proxies: number;
}

/** Kind of change of one resource. */
export type ResourceChangeKind = 'added' | 'removed' | 'modified';

/** One change of one resource, the same in every group it lists. */
export interface ResourceChange {
  typeUrl: TypeUrl;
  /** Short message name, for example `Cluster`. */
  type: string;
  name: string;
  change: ResourceChangeKind;
  /** The resource in force; undefined when it is added. */
  before?: ProtoObject;
  /** The candidate's resource; undefined when it is removed. */
  after?: ProtoObject;
  /** Labels of the proxy groups that see this change, such as `grpc eu-west/eu-west-1a`. */
  groups: string[];
  /** Proxies connected in those groups. */
  proxies: number;
}

/** Changes that proxies would receive if a candidate configuration replaced the one in force. */
export interface ConfigurationDiff {
  /** Changes by type (Cluster, ClusterLoadAssignment, Listener, RouteConfiguration), then name. */
  changes: ResourceChange[];
  /** Number of groups compared. */
  groupCount: number;
  /** Labels of the groups with at least one change. */
  changedGroups: string[];
  /** Proxies connected in the changed groups. */
  affectedProxies: number;
}

const CLIENT_KINDS: readonly ClientKind[] = ['envoy', 'grpc'];

/**
 * Returns the proxy groups that a dry run compares when no proxy is connected: for each client
 * kind, one group per endpoint locality of the registry (the localities where clients most
 * likely run) and one group without a locality.
 */
export function groupsOfRegistry(registry: RegistrySnapshot): ClientProfile[] {
  const localities = new Map<string, Locality>();
  for (const service of registry.services.values()) {
    for (const endpoint of service.endpoints) {
      if (endpoint.locality === undefined || endpoint.locality.region === '') continue;
      localities.set(JSON.stringify([endpoint.locality.region, endpoint.locality.zone, endpoint.locality.subZone]), endpoint.locality);
    }
  }
  const keys = [...localities.keys()].sort(compareStrings);
  const sorted = keys.map((key) => localities.get(key) as Locality);
  return CLIENT_KINDS.flatMap((kind) => [{ kind }, ...sorted.map((locality) => ({ kind, locality }))]);
}

/** Labels a proxy group for people: `envoy eu-west/eu-west-1a/rack-1`, or `grpc (no locality)`. */
export function groupLabelOf(profile: ClientProfile): string {
  const locality = profile.locality;
  if (locality === undefined) return `${profile.kind} (no locality)`;
  return `${profile.kind} ${[locality.region, locality.zone, locality.subZone].filter((part) => part !== '').join('/')}`;
}

/**
 * Computes the resources of every group under both configurations and lists what differs. A
 * change that is identical in several groups (most Clusters and routes) is listed once with
 * every group it concerns.
 */
export function diffConfigurations(before: MeshConfiguration, after: MeshConfiguration, groups: readonly DiffGroup[]): ConfigurationDiff {
  const changes = new Map<string, ResourceChange>();
  const changedGroups = new Map<string, number>();

  for (const group of groups) {
    const label = groupLabelOf(group.profile);
    const old = buildResources(before.registry, before.policies, group.profile).byTypeUrl;
    const next = buildResources(after.registry, after.policies, group.profile).byTypeUrl;
    for (const typeUrl of ALL_TYPE_URLS) {
      for (const change of diffType(typeUrl, old[typeUrl], next[typeUrl])) {
        const key = JSON.stringify([typeUrl, change.name, change.before ?? null, change.after ?? null]);
        const entry = changes.get(key) ?? { ...change, groups: [], proxies: 0 };
        entry.groups.push(label);
        entry.proxies += group.proxies;
        changes.set(key, entry);
        changedGroups.set(label, group.proxies);
      }
    }
  }

  const typeRank = (typeUrl: TypeUrl): number => ALL_TYPE_URLS.indexOf(typeUrl);
  const sorted = [...changes.values()].sort(
    (a, b) => typeRank(a.typeUrl) - typeRank(b.typeUrl) || compareStrings(a.name, b.name) || compareStrings(a.groups[0], b.groups[0]),
  );
  const affectedProxies = [...changedGroups.values()].reduce((total, count) => total + count, 0);
  return { changes: sorted, groupCount: groups.length, changedGroups: [...changedGroups.keys()], affectedProxies };
}

function diffType(typeUrl: TypeUrl, before: readonly NamedResource[], after: readonly NamedResource[]): Omit<ResourceChange, 'groups' | 'proxies'>[] {
  const type = messageNameOf(typeUrl).split('.').at(-1) ?? typeUrl;
  const oldByName = new Map(before.map((resource) => [resource.name, resource.message]));
  const newByName = new Map(after.map((resource) => [resource.name, resource.message]));
  const names = [...new Set([...oldByName.keys(), ...newByName.keys()])].sort(compareStrings);
  const changes: Omit<ResourceChange, 'groups' | 'proxies'>[] = [];
  for (const name of names) {
    const old = oldByName.get(name);
    const next = newByName.get(name);
    if (old === undefined && next !== undefined) changes.push({ typeUrl, type, name, change: 'added', after: next });
    else if (old !== undefined && next === undefined) changes.push({ typeUrl, type, name, change: 'removed', before: old });
    else if (old !== undefined && next !== undefined && JSON.stringify(old) !== JSON.stringify(next)) {
      changes.push({ typeUrl, type, name, change: 'modified', before: old, after: next });
    }
  }
  return changes;
}

/**
 * Formats a diff for people: a summary line, then per change a line with its groups and a
 * unified diff of the resource in YAML form (field names as in Envoy's protos).
 */
export function formatConfigurationDiff(diff: ConfigurationDiff): string {
  if (diff.changes.length === 0) return `No resource changes in ${diff.groupCount} proxy group(s).\n`;

  const lines = [
    `${diff.changes.length} resource change(s) in ${diff.changedGroups.length} of ${diff.groupCount} proxy group(s), ${proxyCount(diff.affectedProxies)} connected.`,
  ];
  for (const change of diff.changes) {
    lines.push('');
    lines.push(`${change.type} ${change.name}: ${change.change} for ${change.groups.length} group(s), ${proxyCount(change.proxies)}: ${change.groups.join(', ')}`);
    lines.push(`--- ${change.before === undefined ? '/dev/null' : `in force/${change.type}/${change.name}`}`);
    lines.push(`+++ ${change.after === undefined ? '/dev/null' : `candidate/${change.type}/${change.name}`}`);
    lines.push(unifiedDiff(yamlOf(change.before), yamlOf(change.after)));
  }
  return `${lines.join('\n')}\n`;
}

function yamlOf(message: ProtoObject | undefined): string {
  return message === undefined ? '' : stringify(message, { lineWidth: 0 });
}

function proxyCount(count: number): string {
  return count === 1 ? '1 proxy' : `${count} proxies`;
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
