import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locality } from '../discovery';
import { initialFleetState, localitiesOf, writeFleetConfig, type FleetSpec, type FleetState } from './fleet-config';
import type { LatencyReport, ProxySpec, WaitResult } from './fleet-worker';
import { ChildRpc } from './ipc';
import type { ServerUsage } from './server-process';
import type { ProxyTarget, XdsVariant } from './simulated-proxy';

/** The server a fleet runs against: Meridian, or the bare gRPC floor. */
export type ServerKind = 'meridian' | 'floor';

export interface FleetOptions {
  server: ServerKind;
  spec: FleetSpec;
  /** Number of simulated proxies. */
  proxies: number;
  /** xDS variant of the proxies' ADS streams. Default state of the world. */
  variant?: XdsVariant;
  /** Child processes that share the proxies. */
  workers: number;
  /** Meridian's file watch and recompute quiet period, in milliseconds. */
  debounceMs: number;
  /** Write V8 CPU profiles of the server and simulator processes into this folder as they exit. Default none. */
  profileDir?: string;
}

/** Counters summed over the workers. */
export interface FleetCounters {
  proxies: number;
  responses: number;
  responseBytes: number;
  acks: number;
  /** Streams that ended and were opened again by their proxy. */
  reconnects: number;
  /** Number of proxies by the status (code and details) their last ended stream had. */
  endStatuses: Record<string, number>;
  bytesByType: Record<string, number>;
}

/**
 * A server under test in its own process, a generated config folder, and simulated proxies in
 * worker processes, so that the server's CPU time and memory are measured apart from the clients'.
 */
export class Fleet {
  readonly localities: Locality[];
  state: FleetState;
  xdsPort = 0;
  private workers: ChildRpc[] = [];

  private constructor(
    readonly options: FleetOptions,
    readonly folder: string,
    readonly server: ChildRpc,
  ) {
    this.localities = localitiesOf(options.spec);
    this.state = initialFleetState(options.spec);
  }

  /** Writes the config folder and starts the server; no proxy is connected yet. */
  static async start(options: FleetOptions): Promise<Fleet> {
    const folder = await mkdtemp(join(tmpdir(), 'meridian-bench-'));
    const execArgv = ['--expose-gc'];
    if (options.profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, 'server')}`);
    const server = new ChildRpc(join(__dirname, 'server-process.js'), [options.server], execArgv);
    const fleet = new Fleet(options, folder, server);
    try {
      await writeFleetConfig(folder, options.spec, fleet.state);
      const started = await server.call<{ xdsPort: number }>('start', {
        configFolder: folder,
        debounceMs: options.debounceMs,
        localities: fleet.localities,
      });
      fleet.xdsPort = started.xdsPort;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  /** Starts the simulated proxies, spread over the localities, connecting over `rampMs`. */
  async connect(rampMs: number): Promise<void> {
    await this.closeProxies();
    const count = Math.min(this.options.workers, this.options.proxies);
    const shares: ProxySpec[][] = Array.from({ length: count }, () => []);
    for (let i = 0; i < this.options.proxies; i++) {
      shares[i % count]!.push({ nodeId: `proxy-${i}`, locality: this.localities[i % this.localities.length]! });
    }
    const execArgv = this.options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(this.options.profileDir, 'simulator')}`] : [];
    this.workers = shares.map(() => new ChildRpc(join(__dirname, 'fleet-worker.js'), [], execArgv));
    const address = `127.0.0.1:${this.xdsPort}`;
    await Promise.all(this.workers.map((worker, i) => worker.call('start', { address, variant: this.options.variant ?? 'sotw', proxies: shares[i], rampMs })));
  }

  /** Resolves with the time each proxy first held every type, and how many did not in time. */
  async waitSynced(timeoutMs: number): Promise<WaitResult> {
    return mergeWaits(await Promise.all(this.workers.map((worker) => worker.call<WaitResult>('waitSynced', { timeoutMs }))));
  }

  /** Earliest connection time among the proxies, in wall-clock milliseconds. */
  async firstConnectAt(): Promise<number> {
    const times = await Promise.all(this.workers.map((worker) => worker.call<number[]>('connectTimes')));
    return Math.min(...times.flat());
  }

  async setTarget(target: ProxyTarget): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.call('setTarget', { target })));
  }

  async waitTarget(timeoutMs: number): Promise<WaitResult> {
    return mergeWaits(await Promise.all(this.workers.map((worker) => worker.call<WaitResult>('waitTarget', { timeoutMs }))));
  }

  /** Starts recording change-to-ACK latencies for changes after sequence `after`. */
  async trackChanges(after: number): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.call('trackChanges', { after })));
  }

  /** Tells the workers when change `seq` was applied. */
  announceChange(seq: number, at: number): void {
    for (const worker of this.workers) worker.notify('changed', { seq, at });
  }

  async latency(): Promise<LatencyReport[]> {
    return Promise.all(this.workers.map((worker) => worker.call<LatencyReport>('latency')));
  }

  async counters(): Promise<FleetCounters> {
    const all = await Promise.all(this.workers.map((worker) => worker.call<FleetCounters>('counters')));
    const total: FleetCounters = { proxies: 0, responses: 0, responseBytes: 0, acks: 0, reconnects: 0, endStatuses: {}, bytesByType: {} };
    for (const counters of all) {
      total.proxies += counters.proxies;
      total.responses += counters.responses;
      total.responseBytes += counters.responseBytes;
      total.acks += counters.acks;
      total.reconnects += counters.reconnects;
      for (const [status, count] of Object.entries(counters.endStatuses)) total.endStatuses[status] = (total.endStatuses[status] ?? 0) + count;
      for (const [typeUrl, bytes] of Object.entries(counters.bytesByType)) total.bytesByType[typeUrl] = (total.bytesByType[typeUrl] ?? 0) + bytes;
    }
    return total;
  }

  /** Server CPU time and memory; with `collect`, after a full garbage collection. */
  async usage(collect = false): Promise<ServerUsage> {
    if (collect) await this.server.call('collectGarbage');
    return this.server.call<ServerUsage>('usage');
  }

  /**
   * Writes the changed files and, for the floor, computes the new snapshots ahead of time.
   * Resolves with the wall-clock time at which the change was applied: the rename of the files for
   * Meridian, the publication of the computed snapshots for the floor.
   */
  async applyFileChange(files: readonly ('services' | 'policies')[]): Promise<number> {
    if (this.options.server === 'meridian') {
      const at = performance.timeOrigin + performance.now();
      await writeFleetConfig(this.folder, this.options.spec, this.state, files);
      return at;
    }
    await writeFleetConfig(this.folder, this.options.spec, this.state, files);
    await this.server.call('stage', { configFolder: this.folder });
    const at = performance.timeOrigin + performance.now();
    await this.server.call('publish');
    return at;
  }

  async closeProxies(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop()));
    this.workers = [];
  }

  async stop(): Promise<void> {
    await this.closeProxies();
    await this.server.stop();
    await rm(this.folder, { recursive: true, force: true });
  }
}

function mergeWaits(results: WaitResult[]): WaitResult {
  return { times: results.flatMap((result) => result.times), missing: results.reduce((sum, result) => sum + result.missing, 0) };
}
