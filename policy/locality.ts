import type { Endpoint, Locality } from '../discovery';
import type { DistributeRule, LocalityLbPolicy } from './model';

/**
 * Share of a priority-0 zone's traffic that stays in the client's own sub-zone, when the client
 * and at least one sibling sub-zone of that zone have endpoints. The own sub-zone's locality gets
 * a load balancing weight of `OWN_SUB_ZONE_WEIGHT_FACTOR` times the sum of its siblings' weights,
 * so it receives 4 / (4 + 1) = 80% of the zone's traffic whatever the endpoint counts are, and
 * the siblings share the remaining 20% in proportion to their endpoint weights.
 *
 * NOTE: the share ignores capacity. An own sub-zone with one endpoint still receives 80%, and
 * only Envoy's and gRPC's ejection of overloaded endpoints moves traffic away from it.
 */
export const OWN_SUB_ZONE_WEIGHT_FACTOR = 4;

/** Endpoints of one locality at one priority: one `LocalityLbEndpoints` of a ClusterLoadAssignment. */
export interface LocalityGroup {
  /** All fields are empty strings for endpoints whose locality is unknown. */
  locality: Locality;
  /** Dense: 0 is the nearest level, and every priority up to the highest has a group. */
  priority: number;
  /** The locality's load balancing weight, 1 or more. */
  weight: number;
  endpoints: readonly Endpoint[];
}

/**
 * The part of a TrafficPolicy that decides priorities. `distribute` and `failoverPriority` may be
 * left out, which means none.
 */
export type LocalityLbSettings = Pick<LocalityLbPolicy, 'enabled' | 'failover'> & Partial<Pick<LocalityLbPolicy, 'distribute' | 'failoverPriority'>>;

/** Client values that failover priority keys compare endpoints with: Kubernetes cluster, network and group labels. */
export interface ClientPlacement {
  cluster?: string;
  network?: string;
  labels?: Readonly<Record<string, string>>;
}

const UNKNOWN_LOCALITY: Locality = { region: '', zone: '', subZone: '' };

/**
 * Groups a service's endpoints by locality and gives each group a priority and a weight, as seen
 * by a client in `client`. Levels, nearest first, each one priority unless empty:
 *
 * 1. the client's own zone (same region and zone; when the client's zone is empty, every
 *    endpoint of its region);
 * 2. the other zones of the client's region;
 * 3. one level per other region, in the order of the failover rule whose `from` is the client's
 *    region, then the regions that the rule does not list, sorted by name;
 * 4. endpoints whose locality is unknown (undefined, or an empty region).
 *
 * Empty levels are skipped, so priorities are dense. When `settings.enabled` is false or the
 * client has no region, every group gets priority 0. A group's weight is the sum of its endpoints'
 * weights, except for the client's own sub-zone (see `OWN_SUB_ZONE_WEIGHT_FACTOR`).
 * Groups are returned by priority, then by region, zone and sub-zone.
 */
export function assignLocalityPriorities(
  endpoints: readonly Endpoint[],
  client: Locality | undefined,
  settings: LocalityLbSettings,
  placement: ClientPlacement = {},
): LocalityGroup[] {
  const rankOf = failoverPriorityRanker(settings.failoverPriority ?? [], placement);
  const groups = groupByLocality(endpoints, rankOf);
  const clientKnown = settings.enabled && client !== undefined && client.region !== '';

  const rule = clientKnown ? settings.distribute?.find((candidate) => matchesLocality(candidate.from, client)) : undefined;
  if (rule !== undefined && client !== undefined) return distributeGroups(groups, client, settings, rule);

  const levelOf = clientKnown
    ? levelRanker(client, settings, groups.map((group) => group.locality))
    : () => 0;
  return prioritize(groups, (group) => [group.rank, levelOf(group.locality)], clientKnown ? client : undefined);
}

/** A locality group with the failover-priority rank its endpoints share (0 shares every key). */
interface RankedGroup extends LocalityGroup {
  rank: number;
}

/**
 * Gives each group the dense priority of its sort key (compared element by element), sorts the
 * groups by priority and locality, and applies the own-sub-zone weight when the client is known.
 */
function prioritize(groups: readonly RankedGroup[], keyOf: (group: RankedGroup) => number[], client: Locality | undefined): LocalityGroup[] {
  const keyText = (group: RankedGroup) => JSON.stringify(keyOf(group));
  const keys = [...new Map(groups.map((group) => [keyText(group), keyOf(group)])).entries()]
    .sort(([, a], [, b]) => compareKeys(a, b))
    .map(([text]) => text);
  const prioritized: LocalityGroup[] = groups.map((group) => ({
    locality: group.locality,
    priority: keys.indexOf(keyText(group)),
    weight: group.weight,
    endpoints: group.endpoints,
  }));
  prioritized.sort((a, b) => a.priority - b.priority || compareLocalities(a.locality, b.locality));
  return client === undefined ? prioritized : weightOwnSubZone(prioritized, client);
}

function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    if (a[index] !== b[index]) return a[index] - b[index];
  }
  return a.length - b.length;
}

/**
 * Returns a function that ranks an endpoint by the failover priority keys it shares with the
 * client: 0 when it shares all of them, 1 when it shares all but the last, and so on up to the
 * number of keys. A key whose client value is unknown is shared by no endpoint.
 */
function failoverPriorityRanker(keys: readonly string[], placement: ClientPlacement): (endpoint: Endpoint) => number {
  if (keys.length === 0) return () => 0;
  const clientValue = (key: string): string | undefined => {
    if (key === 'cluster') return placement.cluster;
    if (key === 'network') return placement.network;
    return placement.labels?.[key.slice('label:'.length)];
  };
  const endpointValue = (endpoint: Endpoint, key: string): string | undefined => {
    if (key === 'cluster') return endpoint.cluster;
    if (key === 'network') return endpoint.network;
    return endpoint.labels[key.slice('label:'.length)];
  };
  return (endpoint) => {
    let shared = 0;
    for (const key of keys) {
      const wanted = clientValue(key);
      if (wanted === undefined || wanted === '' || endpointValue(endpoint, key) !== wanted) break;
      shared++;
    }
    return keys.length - shared;
  };
}

/** Share resolution of distribute weights: a locality weight of 10,000 is 100%. */
const DISTRIBUTE_SCALE = 100;

/**
 * Applies a distribute rule: the localities its `to` patterns match form priority 0, each pattern
 * getting its percentage, shared between its localities by endpoint weight. Localities that no
 * pattern matches, or that only a 0% pattern matches, are kept as a fallback at the following
 * priorities, in the usual nearest-first order.
 */
function distributeGroups(groups: readonly RankedGroup[], client: Locality, settings: LocalityLbSettings, rule: DistributeRule): LocalityGroup[] {
  const targetOf = (group: RankedGroup) => rule.to.findIndex((target) => target.percent > 0 && matchesLocality(target.locality, group.locality));
  const weightByTarget = new Map<number, number>();
  for (const group of groups) {
    const target = targetOf(group);
    if (target >= 0) weightByTarget.set(target, (weightByTarget.get(target) ?? 0) + group.weight);
  }

  const levelOf = levelRanker(client, settings, groups.map((group) => group.locality));
  const weighted = groups.map((group) => {
    const target = targetOf(group);
    if (target < 0) return group;
    const share = (rule.to[target].percent * DISTRIBUTE_SCALE * group.weight) / (weightByTarget.get(target) ?? 1);
    return { ...group, weight: Math.max(1, Math.round(share)) };
  });
  return prioritize(weighted, (group) => (targetOf(group) >= 0 ? [0] : [1, group.rank, levelOf(group.locality)]), undefined);
}

/** True when a locality pattern (`REGION[/ZONE[/SUB_ZONE]]`, parts may be `*`) matches a locality. */
export function matchesLocality(pattern: string, locality: Locality): boolean {
  const [region, zone, subZone] = pattern.split('/');
  const matches = (part: string | undefined, value: string) => part === undefined || part === '*' || part === value;
  return matches(region, locality.region) && matches(zone, locality.zone) && matches(subZone, locality.subZone);
}

/**
 * Groups endpoints by failover-priority rank and (region, zone, sub-zone). An unknown locality is
 * one group of its own.
 */
function groupByLocality(endpoints: readonly Endpoint[], rankOf: (endpoint: Endpoint) => number): RankedGroup[] {
  const byKey = new Map<string, { locality: Locality; rank: number; endpoints: Endpoint[] }>();

  for (const endpoint of endpoints) {
    const locality = knownLocality(endpoint.locality) ?? UNKNOWN_LOCALITY;
    const rank = rankOf(endpoint);
    const key = `${rank}|${localityKey(locality)}`;
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { locality, rank, endpoints: [] };
      byKey.set(key, entry);
    }
    entry.endpoints.push(endpoint);
  }

  return [...byKey.values()]
    .sort((a, b) => a.rank - b.rank || compareLocalities(a.locality, b.locality))
    .map((entry) => ({ ...entry, priority: 0, weight: sumWeights(entry.endpoints) }));
}

/**
 * Returns a function that ranks a locality by nearness to the client: 0 for its own zone and 1 for
 * its own region. Each other region gets one rank, the failover rule's regions first and then the
 * others by name. An unknown locality ranks after every region.
 */
function levelRanker(client: Locality, settings: LocalityLbSettings, present: readonly Locality[]): (locality: Locality) => number {
  const listed = failoverOrder(client.region, settings);
  const unlisted = [...new Set(present.map((locality) => locality.region))]
    .filter((region) => region !== '' && region !== client.region && !listed.includes(region))
    .sort(compareStrings);
  const regionOrder = [...listed, ...unlisted];
  const UNKNOWN_RANK = 2 + regionOrder.length;

  return (locality: Locality): number => {
    if (locality.region === '') return UNKNOWN_RANK;
    if (locality.region === client.region) {
      return client.zone === '' || locality.zone === client.zone ? 0 : 1;
    }
    return 2 + regionOrder.indexOf(locality.region);
  };
}

/** Regions to try after the client's own, from the failover rule of the client's region. */
function failoverOrder(region: string, settings: LocalityLbSettings): string[] {
  const rule = settings.failover.find((candidate) => candidate.from === region);
  if (rule === undefined) return [];

  const order: string[] = [];
  for (const target of rule.to) {
    if (target !== region && !order.includes(target)) order.push(target);
  }
  return order;
}

/**
 * Gives the client's own sub-zone `OWN_SUB_ZONE_WEIGHT_FACTOR` times the weight of its siblings in
 * priority 0. Leaves the groups unchanged when the client has no sub-zone, when its sub-zone has
 * no endpoints, or when it has no siblings.
 */
function weightOwnSubZone(groups: LocalityGroup[], client: Locality): LocalityGroup[] {
  if (client.subZone === '') return groups;

  const nearest = groups.filter((group) => group.priority === 0);
  const own = nearest.find((group) => localityKey(group.locality) === localityKey(client));
  if (own === undefined) return groups;

  const siblingsWeight = sumOf(nearest.filter((group) => group !== own).map((group) => group.weight));
  if (siblingsWeight === 0) return groups;

  const ownWeight = OWN_SUB_ZONE_WEIGHT_FACTOR * siblingsWeight;
  return groups.map((group) => (group === own ? { ...group, weight: ownWeight } : group));
}

/**
 * Orders localities by region, zone and sub-zone. This order is only used within one priority,
 * where it keeps the output stable.
 */
function compareLocalities(a: Locality, b: Locality): number {
  return compareStrings(a.region, b.region) || compareStrings(a.zone, b.zone) || compareStrings(a.subZone, b.subZone);
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function knownLocality(locality: Locality | undefined): Locality | undefined {
  return locality === undefined || locality.region === '' ? undefined : locality;
}

function localityKey(locality: Locality): string {
  return JSON.stringify([locality.region, locality.zone, locality.subZone]);
}

function sumWeights(endpoints: readonly Endpoint[]): number {
  return sumOf(endpoints.map((endpoint) => endpoint.weight));
}

function sumOf(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
