import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { profileOfGroupKey, groupKeyOfProfile } from '../controller';
import type { Service } from '../discovery';
import { buildResources } from '../policy';
import { encodeResource, TYPE_URL } from '../xds';
import { endpointsOf, initialFleetState, localitiesOf, serviceNameOf, writeFleetConfig, type FleetSpec } from './fleet-config';
import { Fleet, type ServerKind } from './fleet';
import { loadConfigFolder } from './load-config';
import type { XdsVariant } from './simulated-proxy';
import { histogramPercentile, mergeHistograms, percentile } from './stats';

/** One measured quantity of a scenario on one server. */
export interface Measurement {
  median: number;
  p99: number;
  /** Number of repeated runs (or samples) the median and p99 are taken over. */
  samples: number;
  /** Server CPU time over the measured part, in seconds. */
  cpuSeconds?: number;
  /** Server resident set size at the end, in MiB. */
  rssMiB?: number;
  /** Further facts for the report, already formatted. */
  notes: string[];
}

/** One line of the report: a scenario with its target, Meridian's result and the floor's. */
export interface ScenarioResult {
  id: string;
  /** Size and variant that tell rows of one scenario apart in the table, such as `5000 sotw`. */
  size: string;
  title: string;
  unit: string;
  /** The target as text, and the limit it sets on Meridian's p99 (or single value). */
  target: string;
  limit?: number;
  /** Largest allowed ratio of Meridian's p99 to the floor's, where the target sets one. */
  maxFloorRatio?: number;
  meridian: Measurement;
  floor?: Measurement;
}

/** Sizes and repetitions of every scenario. */
export interface BenchProfile {
  name: 'quick' | 'full';
  workers: number;
  /** xDS variant of T1, T2, T4 and T5; T3 and the bytes scenario run both. */
  variant: XdsVariant;
  debounceMs: number;
  /** Mesh for the fan-out scenarios other than T3. */
  mesh: FleetSpec;
  t1Proxies: number;
  /** Runs of T1, each with a new server process. */
  t1Runs: number;
  t2Proxies: number[];
  t2Runs: number;
  t3Mesh: FleetSpec;
  t3Proxies: number;
  t3Runs: number;
  t4Proxies: number;
  t4RampMs: number;
  t4Runs: number;
  t5Proxies: number;
  t5ChangesPerSecond: number;
  t5Seconds: number;
  t6Sizes: number[];
  t6Runs: number;
  /** Maximum wait for a fleet to reach a state, in milliseconds. */
  waitMs: number;
  /** Folder for V8 CPU profiles of the server processes; none when undefined. */
  profileDir?: string;
}

const SERVERS: readonly ServerKind[] = ['meridian', 'floor'];
const logger = pino({ level: 'warn' }, pino.destination(2));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** Ramp for connecting a fleet that is only being set up: about 2,000 proxies a second. */
function setupRampMs(proxies: number): number {
  return Math.round(proxies / 2);
}

/** Throws, with what the proxies' streams ended with, when some proxies missed a state. */
async function assertComplete(fleet: Fleet, what: string, missing: number): Promise<void> {
  if (missing === 0) return;
  const counters = await fleet.counters();
  throw new Error(
    `${fleet.options.server}: ${what}: ${missing} of ${fleet.options.proxies} simulated proxies did not reach it within the wait ` +
      `(${counters.reconnects} stream reconnects; last end statuses: ${JSON.stringify(counters.endStatuses)}); ` +
      `check the server's log above, or free the machine and run again`,
  );
}

async function connectedFleet(
  server: ServerKind,
  spec: FleetSpec,
  proxies: number,
  profile: BenchProfile,
  variant: XdsVariant = profile.variant,
): Promise<Fleet> {
  const fleet = await Fleet.start({ server, variant, spec, proxies, workers: profile.workers, debounceMs: profile.debounceMs, profileDir: profile.profileDir });
  try {
    await fleet.connect(setupRampMs(proxies));
    const synced = await fleet.waitSynced(profile.waitMs);
    await assertComplete(fleet, 'initial sync', synced.missing);
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
}

/**
 * Measures T1: server memory per fully ACKed stream above the server's baseline, once per run
 * with a new server process each time.
 */
export async function idleFleet(profile: BenchProfile): Promise<ScenarioResult> {
  const results: Partial<Record<ServerKind, Measurement>> = {};
  for (const server of SERVERS) {
    const perStream: number[] = [];
    const heapPerStream: number[] = [];
    const externalPerStream: number[] = [];
    let last: { cpuSeconds: number; rssBytes: number; baselineRssBytes: number } | undefined;
    for (let run = 0; run < profile.t1Runs; run++) {
      const fleet = await Fleet.start({
        server,
        variant: profile.variant,
        spec: profile.mesh,
        proxies: profile.t1Proxies,
        workers: profile.workers,
        debounceMs: profile.debounceMs,
        profileDir: profile.profileDir,
      });
      try {
        const baseline = await fleet.usage(true);
        await fleet.connect(setupRampMs(profile.t1Proxies));
        const synced = await fleet.waitSynced(profile.waitMs);
        await assertComplete(fleet, 'T1 sync', synced.missing);
        await sleep(1000);
        const loaded = await fleet.usage(true);
        perStream.push((loaded.rssBytes - baseline.rssBytes) / 1024 / profile.t1Proxies);
        heapPerStream.push((loaded.heapUsedBytes - baseline.heapUsedBytes) / 1024 / profile.t1Proxies);
        externalPerStream.push((loaded.externalBytes - baseline.externalBytes) / 1024 / profile.t1Proxies);
        last = { cpuSeconds: (loaded.cpuMicros - baseline.cpuMicros) / 1e6, rssBytes: loaded.rssBytes, baselineRssBytes: baseline.rssBytes };
      } finally {
        await fleet.stop();
      }
    }
    results[server] = {
      median: percentile(perStream, 50),
      p99: percentile(perStream, 99),
      samples: perStream.length,
      cpuSeconds: last!.cpuSeconds,
      rssMiB: mib(last!.rssBytes),
      notes: [
        `runs ${perStream.map((value) => value.toFixed(1)).join(', ')} KiB per stream`,
        `baseline RSS ${mib(last!.baselineRssBytes)} MiB`,
        `heap p50 ${percentile(heapPerStream, 50).toFixed(1)} KiB per stream`,
        `external p50 ${percentile(externalPerStream, 50).toFixed(1)} KiB per stream`,
      ],
    };
  }
  return {
    id: 'T1',
    size: `${profile.t1Proxies} ${profile.variant}`,
    title: `idle fleet, ${profile.t1Proxies} ${profile.variant} streams: RSS per stream`,
    unit: 'KiB',
    target: '<= 64 KiB per stream',
    limit: 64,
    meridian: results.meridian!,
    floor: results.floor,
  };
}

/**
 * Applies `runs` changes to a synced fleet, one at a time, and measures from each change to the
 * ACK of the last proxy. `change` edits the fleet state and returns what the proxies must reach.
 */
async function measureChanges(
  fleet: Fleet,
  runs: number,
  files: readonly ('services' | 'policies')[],
  change: (run: number) => Parameters<Fleet['setTarget']>[0],
  waitMs: number,
): Promise<Measurement> {
  const before = await fleet.usage();
  const completions: number[] = [];
  const perProxy: number[] = [];
  for (let run = 1; run <= runs; run++) {
    await fleet.setTarget(change(run));
    const at = await fleet.applyFileChange(files);
    const reached = await fleet.waitTarget(waitMs);
    await assertComplete(fleet, `change ${run}`, reached.missing);
    completions.push(Math.max(...reached.times) - at);
    for (const time of reached.times) perProxy.push(time - at);
    await sleep(300);
  }
  const after = await fleet.usage();
  return {
    median: percentile(completions, 50),
    p99: percentile(completions, 99),
    samples: runs,
    cpuSeconds: (after.cpuMicros - before.cpuMicros) / 1e6,
    rssMiB: mib(after.rssBytes),
    notes: [`per-stream ACK p50 ${percentile(perProxy, 50).toFixed(0)} ms, p99 ${percentile(perProxy, 99).toFixed(0)} ms`],
  };
}

/** Measures T2: from one endpoint change until the last subscribed stream has ACKed it. */
export async function endpointChange(profile: BenchProfile, proxies: number): Promise<ScenarioResult> {
  const results: Partial<Record<ServerKind, Measurement>> = {};
  for (const server of SERVERS) {
    const fleet = await connectedFleet(server, profile.mesh, proxies, profile);
    try {
      let seq = 0;
      results[server] = await measureChanges(
        fleet,
        profile.t2Runs,
        ['services'],
        (run) => {
          seq++;
          fleet.state.markers[run % profile.mesh.services] = seq;
          return { minEndpointMarker: seq };
        },
        profile.waitMs,
      );
    } finally {
      await fleet.stop();
    }
  }
  return {
    id: 'T2',
    size: `${proxies} ${profile.variant}`,
    title: `one endpoint change, ${proxies} ${profile.variant} streams: change to last ACK`,
    unit: 'ms',
    target: proxies <= 5000 ? 'p99 <= 1200 ms and <= 1.5x floor' : 'no target given; reported',
    limit: proxies <= 5000 ? 1200 : undefined,
    maxFloorRatio: proxies <= 5000 ? 1.5 : undefined,
    meridian: results.meridian!,
    floor: results.floor,
  };
}

/** Measures T3: a change of every Cluster and every virtual host (protocol and hostnames of every service). */
export async function meshWideChange(profile: BenchProfile, variant: XdsVariant): Promise<ScenarioResult> {
  const results: Partial<Record<ServerKind, Measurement>> = {};
  const spec = profile.t3Mesh;
  for (const server of SERVERS) {
    const fleet = await connectedFleet(server, spec, profile.t3Proxies, profile, variant);
    try {
      results[server] = await measureChanges(
        fleet,
        profile.t3Runs,
        ['services', 'policies'],
        (run) => {
          fleet.state.protocol = fleet.state.protocol === 'http' ? 'grpc' : 'http';
          fleet.state.hostnameGeneration = run;
          return { http2Clusters: fleet.state.protocol === 'grpc' ? spec.services : 0, minRouteGeneration: run };
        },
        profile.waitMs,
      );
    } finally {
      await fleet.stop();
    }
  }
  return {
    id: 'T3',
    size: `${spec.services} svc, ${profile.t3Proxies} ${variant}`,
    title: `every Cluster and route changes, ${spec.services} services, ${profile.t3Proxies} ${variant} streams`,
    unit: 'ms',
    target: variant === 'delta' ? '<= 10000 ms' : 'none for SotW; reported',
    limit: variant === 'delta' ? 10_000 : undefined,
    meridian: results.meridian!,
    floor: results.floor,
  };
}

/** Measures T4: proxies connect within a ramp and reach a fully ACKed state. */
export async function reconnectStorm(profile: BenchProfile): Promise<ScenarioResult> {
  const results: Partial<Record<ServerKind, Measurement>> = {};
  for (const server of SERVERS) {
    const fleet = await Fleet.start({
      server,
      variant: profile.variant,
      spec: profile.mesh,
      proxies: profile.t4Proxies,
      workers: profile.workers,
      debounceMs: profile.debounceMs,
      profileDir: profile.profileDir,
    });
    try {
      const before = await fleet.usage();
      const durations: number[] = [];
      for (let run = 0; run < profile.t4Runs; run++) {
        await fleet.connect(profile.t4RampMs);
        const synced = await fleet.waitSynced(profile.waitMs);
        await assertComplete(fleet, `storm ${run + 1}`, synced.missing);
        durations.push(Math.max(...synced.times) - (await fleet.firstConnectAt()));
        await fleet.closeProxies();
        await sleep(500);
      }
      const after = await fleet.usage();
      results[server] = {
        median: percentile(durations, 50),
        p99: percentile(durations, 99),
        samples: durations.length,
        cpuSeconds: (after.cpuMicros - before.cpuMicros) / 1e6,
        rssMiB: mib(after.rssBytes),
        notes: [`connections spread over ${profile.t4RampMs} ms`],
      };
    } finally {
      await fleet.stop();
    }
  }
  return {
    id: 'T4',
    size: `${profile.t4Proxies} ${profile.variant}`,
    title: `reconnect storm, ${profile.t4Proxies} ${profile.variant} proxies: first connect to last fully ACKed`,
    unit: 'ms',
    target: '<= 15000 ms',
    limit: 15_000,
    meridian: results.meridian!,
    floor: results.floor,
  };
}

/** Returns a service of the generated mesh as the registry stores it in the current fleet state. */
function serviceOf(fleet: Fleet, index: number): Service {
  return { name: serviceNameOf(index), port: 8080, protocol: fleet.state.protocol, endpoints: endpointsOf(fleet.options.spec, fleet.state, index) };
}

/** Measures T5: endpoint changes at a fixed rate, applied through a discovery source, from change to ACK. */
export async function sustainedChanges(profile: BenchProfile): Promise<ScenarioResult> {
  const results: Partial<Record<ServerKind, Measurement>> = {};
  const total = Math.round(profile.t5ChangesPerSecond * profile.t5Seconds);
  for (const server of SERVERS) {
    const fleet = await connectedFleet(server, profile.mesh, profile.t5Proxies, profile);
    try {
      await fleet.trackChanges(0);
      const before = await fleet.usage();
      const changedAt = new Map<number, number>();
      const start = now();
      for (let seq = 1; seq <= total; seq++) {
        const due = start + ((seq - 1) * 1000) / profile.t5ChangesPerSecond;
        const wait = due - now();
        if (wait > 0) await sleep(wait);
        const index = seq % profile.mesh.services;
        fleet.state.markers[index] = seq;
        const at = now();
        changedAt.set(seq, at);
        fleet.announceChange(seq, at);
        // Not awaited, so that the offered rate holds when the server falls behind: its lag then
        // shows as latency rather than as a lower rate.
        fleet.server.notify('updateServices', { services: [serviceOf(fleet, index)] });
      }
      const elapsedSeconds = (now() - start) / 1000;
      await fleet.setTarget({ minEndpointMarker: total });
      const reached = await fleet.waitTarget(profile.waitMs);
      await assertComplete(fleet, 'T5 last change', reached.missing);
      const after = await fleet.usage();
      const measuredSeconds = (now() - start) / 1000;
      const reports = await fleet.latency();
      const histogram = mergeHistograms(reports.map((report) => report.histogram));
      const completions: number[] = [];
      for (const [seq, at] of changedAt) {
        const last = Math.max(...reports.map((report) => report.lastAckBySeq[seq] ?? Number.NaN));
        if (Number.isFinite(last)) completions.push(last - at);
      }
      const cpuSeconds = (after.cpuMicros - before.cpuMicros) / 1e6;
      results[server] = {
        median: histogramPercentile(histogram, 50),
        p99: histogramPercentile(histogram, 99),
        samples: histogram.reduce((sum, [, count]) => sum + count, 0),
        cpuSeconds,
        rssMiB: mib(after.rssBytes),
        notes: [
          `server ${(cpuSeconds / measuredSeconds).toFixed(2)} cores over ${measuredSeconds.toFixed(0)} s until the last ACK`,
          `${(total / elapsedSeconds).toFixed(1)} changes/s offered`,
          `change to last stream p50 ${percentile(completions, 50).toFixed(0)} ms, p99 ${percentile(completions, 99).toFixed(0)} ms`,
        ],
      };
    } finally {
      await fleet.stop();
    }
  }
  return {
    id: 'T5',
    size: `${profile.t5Proxies} ${profile.variant}, ${profile.t5Seconds} s`,
    title: `${profile.t5ChangesPerSecond} endpoint changes/s for ${profile.t5Seconds} s, ${profile.t5Proxies} ${profile.variant} streams: change to ACK per stream`,
    unit: 'ms',
    target: 'p99 <= 2000 ms, server < 1.6 cores',
    limit: 2000,
    meridian: results.meridian!,
    floor: results.floor,
  };
}

/** Measures T6: encoding one ClusterLoadAssignment of `size` endpoints, in the benchmark process. */
export async function encodeAssignment(profile: BenchProfile, size: number): Promise<ScenarioResult> {
  const spec: FleetSpec = { services: 1, endpointsPerService: size, regions: 3, zonesPerRegion: 2 };
  const folder = await mkdtemp(join(tmpdir(), 'meridian-bench-'));
  try {
    await writeFleetConfig(folder, spec, initialFleetState(spec));
    const { registry, policies } = await loadConfigFolder(folder, logger);
    const profileOfClient = profileOfGroupKey(groupKeyOfProfile({ kind: 'envoy', locality: localitiesOf(spec)[0] }));
    const buildTimes: number[] = [];
    const encodeTimes: number[] = [];
    let bytes = 0;
    // The first runs compile protobufjs's encoders and warm the JIT; they are not counted.
    const warmupRuns = 5;
    for (let run = -warmupRuns; run < profile.t6Runs; run++) {
      const buildStart = performance.now();
      const generated = buildResources(registry, policies, profileOfClient);
      const assignment = generated.byTypeUrl[TYPE_URL.clusterLoadAssignment][0]!;
      const encodeStart = performance.now();
      const encoded = encodeResource(TYPE_URL.clusterLoadAssignment, assignment.name, assignment.message);
      if (run < 0) continue;
      encodeTimes.push(performance.now() - encodeStart);
      buildTimes.push(encodeStart - buildStart);
      bytes = encoded.body.length;
    }
    const limit = size <= 1000 ? 2 : 20;
    return {
      id: 'T6',
      size: `${size} endpoints`,
      title: `encode a ClusterLoadAssignment of ${size} endpoints`,
      unit: 'ms',
      target: `<= ${limit} ms`,
      limit,
      meridian: {
        median: percentile(encodeTimes, 50),
        p99: percentile(encodeTimes, 99),
        samples: encodeTimes.length,
        notes: [`${bytes} bytes`, `policy engine build p50 ${percentile(buildTimes, 50).toFixed(2)} ms`],
      },
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Endpoint changes measured by the bytes scenario. */
const BYTES_CHANGES = 5;

/**
 * Measures the bytes a stream receives for one endpoint change, against the size of the changed
 * resource, over `BYTES_CHANGES` changes of the same endpoint.
 */
export async function bytesPerChange(profile: BenchProfile, variant: XdsVariant): Promise<ScenarioResult> {
  const proxies = 4;
  const fleet = await connectedFleet('meridian', profile.mesh, proxies, profile, variant);
  try {
    const index = 1;
    const perChange: number[] = [];
    for (let change = 1; change <= BYTES_CHANGES; change++) {
      const before = await fleet.counters();
      fleet.state.markers[index] = change;
      await fleet.setTarget({ minEndpointMarker: change });
      await fleet.applyFileChange(['services']);
      const reached = await fleet.waitTarget(profile.waitMs);
      await assertComplete(fleet, 'bytes per change', reached.missing);
      const after = await fleet.counters();
      perChange.push((after.responseBytes - before.responseBytes) / proxies);
    }
    const received = percentile(perChange, 50);

    // Size of the changed resource itself, as a proxy of the first locality is sent it.
    const { registry, policies } = await loadConfigFolder(fleet.folder, logger);
    const client = profileOfGroupKey(groupKeyOfProfile({ kind: 'envoy', locality: fleet.localities[0] }));
    const generated = buildResources(registry, policies, client);
    const changed = generated.byTypeUrl[TYPE_URL.clusterLoadAssignment].find((resource) => resource.name === serviceNameOf(index))!;
    const resourceBytes = encodeResource(TYPE_URL.clusterLoadAssignment, changed.name, changed.message).body.length;
    return {
      id: 'bytes',
      size: `${profile.mesh.services} svc, ${variant}`,
      title: `bytes per stream for one endpoint change, ${profile.mesh.services} services, ${variant}`,
      unit: 'bytes',
      target: variant === 'delta' ? `<= 2x the changed resource (${2 * resourceBytes})` : 'none for SotW; reported',
      limit: variant === 'delta' ? 2 * resourceBytes : undefined,
      meridian: {
        median: received,
        p99: percentile(perChange, 99),
        samples: perChange.length,
        notes: [`changed resource ${resourceBytes} bytes`, `${(received / resourceBytes).toFixed(1)}x the changed resource`],
      },
    };
  } finally {
    await fleet.stop();
  }
}
