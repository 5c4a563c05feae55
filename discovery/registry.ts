import type { Logger } from 'pino';
import { withSpan } from '../telemetry';
import type { DiscoverySource, RegistrySnapshot, Service } from './types';

/** A service that two sources define; the one listed first is used. */
export interface ServiceConflict {
  service: string;
  /** The source whose definition is used. */
  usedSource: string;
  /** The source whose definition is ignored. */
  ignoredSource: string;
}

/** Options of `Registry`. */
export interface RegistryOptions {
  logger: Logger;
}

/**
 * Merges discovery sources into one `RegistrySnapshot`. Sources are ranked in the order given: when
 * two define the same service, the first one's definition is used and the conflict is logged and
 * kept for `conflicts()`. Each change of the merged content makes a new snapshot with a higher
 * revision.
 */
export class Registry {
  private current: RegistrySnapshot = { services: new Map(), revision: 0 };
  private currentJson = '[]';
  private currentConflicts: ServiceConflict[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly log: Logger;

  constructor(
    private readonly sources: readonly DiscoverySource[],
    options: RegistryOptions,
  ) {
    const names = sources.map((source) => source.name);
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated !== undefined) throw new Error(`discovery source name "${repeated}" is used twice; give each source a unique name`);
    this.log = options.logger.child({ component: 'registry' });
    for (const source of sources) this.unsubscribe.push(source.onChange(() => this.rebuild()));
  }

  /** Starts every source and resolves when each has finished its first load. */
  async start(): Promise<void> {
    await Promise.all(this.sources.map((source) => source.start()));
    this.rebuild();
  }

  /** Stops every source and detaches from them. */
  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await Promise.all(this.sources.map((source) => source.stop()));
  }

  /** Returns the merged view; services are in name order. */
  snapshot(): RegistrySnapshot {
    return this.current;
  }

  /** True once every source has synced. */
  synced(): boolean {
    return this.sources.every((source) => source.synced);
  }

  /** Returns the services that more than one source defines, as of the last merge. */
  conflicts(): readonly ServiceConflict[] {
    return this.currentConflicts;
  }

  /** Registers a listener called after each new snapshot. Returns a function that removes it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Merges the sources again; publishes a snapshot and notifies listeners only when the content changed. */
  private rebuild(): void {
    const { services, conflicts } = this.merge();
    this.reportNewConflicts(conflicts);
    this.currentConflicts = conflicts;

    const json = JSON.stringify([...services.values()]);
    if (json === this.currentJson) return;
    this.currentJson = json;
    this.current = { services, revision: this.current.revision + 1 };
    this.log.info({ revision: this.current.revision, serviceCount: services.size }, 'registry updated');
    withSpan('meridian.registry.update', { 'meridian.registry.revision': this.current.revision, 'meridian.registry.services': services.size }, () => {
      for (const listener of this.listeners) listener();
    });
  }

  private merge(): { services: Map<string, Service>; conflicts: ServiceConflict[] } {
    const owners = new Map<string, string>();
    const byName = new Map<string, Service>();
    const conflicts: ServiceConflict[] = [];
    for (const source of this.sources) {
      if (!source.synced) continue;
      for (const service of source.services()) {
        const owner = owners.get(service.name);
        if (owner !== undefined) {
          conflicts.push({ service: service.name, usedSource: owner, ignoredSource: source.name });
          continue;
        }
        owners.set(service.name, source.name);
        byName.set(service.name, service);
      }
    }
    const names = [...byName.keys()].sort();
    return { services: new Map(names.map((name) => [name, byName.get(name) as Service])), conflicts };
  }

  /** Logs each conflict once, when it appears, rather than on every merge. */
  private reportNewConflicts(conflicts: readonly ServiceConflict[]): void {
    const known = new Set(this.currentConflicts.map(conflictKey));
    for (const conflict of conflicts) {
      if (known.has(conflictKey(conflict))) continue;
      this.log.error({ code: 'MERIDIAN_DISCOVERY_DUPLICATE_SERVICE', ...conflict }, 'service defined by two sources');
    }
  }
}

function conflictKey(conflict: ServiceConflict): string {
  return `${conflict.service}\n${conflict.usedSource}\n${conflict.ignoredSource}`;
}
