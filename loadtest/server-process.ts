import pino from 'pino';
import { groupKeyOf, groupKeyOfProfile, profileOfGroupKey, startMeridian, type RunningMeridian } from '../controller';
import type { Locality, RegistrySnapshot, Service } from '../discovery';
import { buildResources, type TrafficPolicy } from '../policy';
import {
  buildSnapshot,
  buildTypeSnapshot,
  contentHash,
  encodeResource,
  SnapshotCache,
  TYPE_URL,
  type EncodedResource,
  type Snapshot,
  type TypeUrl,
} from '../xds';
import { FloorServer } from './floor-server';
import { serveCalls } from './ipc';
import { loadConfigFolder } from './load-config';
import { MemorySource } from './memory-source';

/** Resource use of the server process, for the benchmark's report. */
export interface ServerUsage {
  /** CPU time since the process started, user plus system, in microseconds. */
  cpuMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory of Buffers and other objects outside V8's heap, ArrayBuffers included. */
  externalBytes: number;
}

export interface ServerStartArgs {
  configFolder: string;
  /** Quiet period of Meridian's file watch and recompute, in milliseconds. */
  debounceMs: number;
  /** Localities of the proxies; the floor computes one snapshot per locality ahead of time. */
  localities: Locality[];
}

const kind = process.argv[2];
if (kind !== 'meridian' && kind !== 'floor') throw new Error(`unknown server kind "${kind}": expected meridian or floor`);
/**
 * Warnings and errors go to stderr, except the registry's report that the benchmark's source
 * overrides services of the files, which T5 does on purpose for every service it changes.
 */
const logger = pino(
  {
    level: 'warn',
    hooks: {
      logMethod(args, method) {
        const fields = args[0] as { code?: string } | undefined;
        if (fields?.code === 'MERIDIAN_DISCOVERY_DUPLICATE_SERVICE') return;
        method.apply(this, args);
      },
    },
  },
  pino.destination(2),
);

let meridian: RunningMeridian | undefined;
const memorySource = new MemorySource();

// The floor's state: snapshots computed ahead of time, published on request.
const liveCache = new SnapshotCache(groupKeyOf);
let floor: FloorServer | undefined;
let floorGroups: string[] = [];
let floorPolicies: readonly TrafficPolicy[] = [];
let staged = new Map<string, Snapshot>();
const encoded = new Map<string, EncodedResource>();

/** Encodes a resource once per content, as Meridian's controller does. */
function encodeOnce(typeUrl: TypeUrl, name: string, message: object): EncodedResource {
  const key = `${typeUrl}\0${name}\0${contentHash(JSON.stringify(message))}`;
  let resource = encoded.get(key);
  if (!resource) {
    resource = encodeResource(typeUrl, name, message);
    encoded.set(key, resource);
  }
  return resource;
}

function snapshotOf(registry: RegistrySnapshot, policies: readonly TrafficPolicy[], group: string): Snapshot {
  const generated = buildResources(registry, policies, profileOfGroupKey(group));
  const byType = new Map<TypeUrl, EncodedResource[]>();
  for (const [typeUrl, resources] of Object.entries(generated.byTypeUrl) as [TypeUrl, { name: string; message: object }[]][]) {
    byType.set(typeUrl, resources.map((resource) => encodeOnce(typeUrl, resource.name, resource.message)));
  }
  return buildSnapshot(byType, 'floor');
}

/** Reads the config folder as Meridian does and computes the snapshot of every group. */
async function stageFromFiles(folder: string): Promise<void> {
  const { registry, policies } = await loadConfigFolder(folder, logger);
  floorPolicies = policies;
  staged = new Map(floorGroups.map((group) => [group, snapshotOf(registry, floorPolicies, group)]));
}

/** Replaces the ClusterLoadAssignments of `services` in every live floor snapshot. */
function updateFloorServices(services: Service[]): void {
  for (const group of floorGroups) {
    const current = liveCache.getSnapshot(group);
    if (!current) continue;
    const assignments = new Map(current.types.get(TYPE_URL.clusterLoadAssignment)?.resources ?? []);
    for (const service of services) {
      const registry: RegistrySnapshot = { services: new Map([[service.name, service]]), revision: 1 };
      const policies = floorPolicies.filter((policy) => policy.service === service.name);
      const generated = buildResources(registry, policies, profileOfGroupKey(group));
      for (const resource of generated.byTypeUrl[TYPE_URL.clusterLoadAssignment]) {
        assignments.set(resource.name, encodeOnce(TYPE_URL.clusterLoadAssignment, resource.name, resource.message));
      }
    }
    const types = new Map(current.types);
    types.set(TYPE_URL.clusterLoadAssignment, buildTypeSnapshot(assignments.values()));
    liveCache.setSnapshot(group, { types, cause: 'floor' });
  }
}

serveCalls({
  start: async (args: ServerStartArgs) => {
    if (kind === 'meridian') {
      meridian = await startMeridian({
        configPaths: [args.configFolder],
        xdsAddress: '127.0.0.1:0',
        adminAddress: '127.0.0.1:0',
        logger,
        debounceMs: args.debounceMs,
        discoverySources: [memorySource],
      });
      return { xdsPort: meridian.xdsPort, adminPort: meridian.adminPort };
    }
    floorGroups = args.localities.map((locality) => groupKeyOfProfile({ kind: 'envoy', locality }));
    await stageFromFiles(args.configFolder);
    for (const [group, snapshot] of staged) liveCache.setSnapshot(group, snapshot);
    floor = new FloorServer(liveCache);
    return { xdsPort: await floor.listen(), adminPort: 0 };
  },

  /** Floor only: computes the snapshots of the current files without publishing them. */
  stage: async (args: { configFolder: string }) => {
    await stageFromFiles(args.configFolder);
  },

  /** Floor only: publishes the staged snapshots to every stream. */
  publish: () => {
    for (const [group, snapshot] of staged) liveCache.setSnapshot(group, snapshot);
  },

  updateServices: (args: { services: Service[] }) => {
    if (kind === 'meridian') memorySource.update(args.services);
    else updateFloorServices(args.services);
  },

  usage: (): ServerUsage => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return { cpuMicros: cpu.user + cpu.system, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, externalBytes: memory.external };
  },

  /** Runs a full garbage collection when the process was started with --expose-gc. */
  collectGarbage: () => {
    (globalThis as { gc?: () => void }).gc?.();
  },

  exit: async () => {
    await meridian?.close();
    floor?.close();
  },
});
