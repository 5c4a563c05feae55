import {
  endpointKeyOf,
  hostPortOf,
  zoneKeyOf,
  type EndpointVotes,
  type HeldChange,
  type Partition,
  type ProberVote,
} from './model';

/** Default maximum share of a service's endpoints that one prober's votes may eject at once. */
export const DEFAULT_MAX_EJECT_SHARE = 0.5;

export interface QuorumOptions {
  /**
   * Maximum share of a service's endpoints, from 0 to 1, that the votes of one prober may turn
   * unhealthy within one wave window. One endpoint may always change. Default 0.5.
   */
  maxEjectShare?: number;
  /**
   * Endpoints (by `endpointKeyOf`) that turned unhealthy within their service's wave window. Rule 5
   * counts them together with the new ejections of every prober whose counted vote on them is
   * unhealthy. Default: none.
   */
  recentEjections?: ReadonlySet<string>;
}

/** What the votes ask for, before hold-down. */
export interface QuorumResult {
  /** Health desired for every endpoint of the input, by `endpointKeyOf`. */
  desired: Map<string, boolean>;
  partitions: Partition[];
  held: HeldChange[];
  /**
   * Recent ejections that rule 5 turns healthy again because they belong to a held wave. Hold-down
   * does not delay them.
   */
  restored: string[];
}

/**
 * Decides the health of endpoints from the votes of probers. The rules, applied in order:
 *
 * 1. Only fresh votes take part: a silent prober has no vote, and silence never counts as failure.
 * 2. A prober cannot reach a locality (region/zone) when every one of its votes on endpoints there
 *    is unhealthy while another prober votes healthy on an endpoint there. Its votes on that
 *    locality are not counted, and the pair is reported as a partition.
 * 3. An endpoint is unhealthy when at least one counted vote exists and every counted vote says
 *    unhealthy. One counted healthy vote keeps it healthy.
 * 4. An endpoint with no counted vote keeps its previous health (healthy when it has none).
 * 5. A prober's wave in a service is every endpoint on which its counted vote is unhealthy and
 *    that this evaluation would turn unhealthy, or that turned unhealthy recently
 *    (`recentEjections`). When a wave covers more than `maxEjectShare` of the service's endpoints
 *    (and more than one endpoint), the fault is taken to be the prober's: the whole wave is
 *    healthy, recent ejections included, and it is reported as held. Counting recent ejections
 *    holds a prober whose checks of many endpoints cross the unhealthy threshold at slightly
 *    different times.
 */
export function decideHealth(
  endpoints: readonly EndpointVotes[],
  previous: ReadonlyMap<string, boolean>,
  options: QuorumOptions = {},
): QuorumResult {
  const { excluded, partitions } = findPartitions(endpoints);
  const desired = new Map<string, boolean>();
  const counted = new Map<string, ProberVote[]>();

  for (const endpoint of endpoints) {
    const key = endpointKeyOf(endpoint.service, endpoint.address, endpoint.port);
    const zone = zoneKeyOf(endpoint.locality);
    const votes = endpoint.votes.filter((vote) => !excluded.has(pairKey(vote.prober, zone)));
    counted.set(key, votes);
    if (votes.length === 0) {
      desired.set(key, previous.get(key) ?? true);
    } else {
      desired.set(key, votes.some((vote) => vote.status === 'healthy'));
    }
  }

  const { held, restored } = holdBulkEjections(endpoints, previous, desired, counted, {
    maxEjectShare: options.maxEjectShare ?? DEFAULT_MAX_EJECT_SHARE,
    recentEjections: options.recentEjections ?? new Set(),
  });
  return { desired, partitions, held, restored };
}

/** Finds the (prober, locality) pairs of rule 2. */
function findPartitions(endpoints: readonly EndpointVotes[]): { excluded: Set<string>; partitions: Partition[] } {
  // For each locality: per prober, whether any of its votes there is healthy.
  const byZone = new Map<string, Map<string, { reached: boolean; vote: ProberVote }>>();
  for (const endpoint of endpoints) {
    const zone = zoneKeyOf(endpoint.locality);
    let probers = byZone.get(zone);
    if (probers === undefined) {
      probers = new Map();
      byZone.set(zone, probers);
    }
    for (const vote of endpoint.votes) {
      const entry = probers.get(vote.prober) ?? { reached: false, vote };
      entry.reached ||= vote.status === 'healthy';
      probers.set(vote.prober, entry);
    }
  }

  const excluded = new Set<string>();
  const partitions: Partition[] = [];
  for (const [zone, probers] of [...byZone].sort(([a], [b]) => compareStrings(a, b))) {
    const anyReached = [...probers.values()].some((entry) => entry.reached);
    if (!anyReached) continue;
    for (const [prober, entry] of [...probers].sort(([a], [b]) => compareStrings(a, b))) {
      if (entry.reached) continue;
      excluded.add(pairKey(prober, zone));
      partitions.push({ prober, from: zoneKeyOf(entry.vote.locality), to: zone });
    }
  }
  return { excluded, partitions };
}

/** Applies rule 5: reverts the waves of ejections that one prober alone would cause in bulk. */
function holdBulkEjections(
  endpoints: readonly EndpointVotes[],
  previous: ReadonlyMap<string, boolean>,
  desired: Map<string, boolean>,
  counted: ReadonlyMap<string, readonly ProberVote[]>,
  options: Required<QuorumOptions>,
): { held: HeldChange[]; restored: string[] } {
  const byService = new Map<string, EndpointVotes[]>();
  for (const endpoint of endpoints) {
    const list = byService.get(endpoint.service) ?? [];
    list.push(endpoint);
    byService.set(endpoint.service, list);
  }

  const held: HeldChange[] = [];
  const restored = new Set<string>();
  for (const [service, list] of [...byService].sort(([a], [b]) => compareStrings(a, b))) {
    const limit = Math.max(1, Math.floor(options.maxEjectShare * list.length));
    // The wave of each prober: new and recent ejections of this service that its votes back.
    const waveByProber = new Map<string, EndpointVotes[]>();
    for (const endpoint of list) {
      const key = endpointKeyOf(service, endpoint.address, endpoint.port);
      if (desired.get(key) !== false) continue;
      const isNew = previous.get(key) !== false;
      if (!isNew && !options.recentEjections.has(key)) continue;
      for (const vote of counted.get(key) ?? []) {
        const wave = waveByProber.get(vote.prober) ?? [];
        wave.push(endpoint);
        waveByProber.set(vote.prober, wave);
      }
    }

    for (const [prober, wave] of [...waveByProber].sort(([a], [b]) => compareStrings(a, b))) {
      if (wave.length <= limit) continue;
      for (const endpoint of wave) {
        const key = endpointKeyOf(service, endpoint.address, endpoint.port);
        desired.set(key, true);
        if (previous.get(key) === false) restored.add(key);
      }
      held.push({
        service,
        prober,
        endpoints: wave.map((endpoint) => hostPortOf(endpoint.address, endpoint.port)),
        share: wave.length / list.length,
      });
    }
  }
  return { held, restored: [...restored].sort(compareStrings) };
}

function pairKey(prober: string, zone: string): string {
  return `${prober}\0${zone}`;
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
