import type { Logger } from 'pino';
import {
  ConfigWatcher,
  DocumentLoader,
  KindRegistry,
  formatDiagnostic,
  formatDiagnosticForLog,
  type Diagnostic,
  type DocumentSet,
  type LoadedDocuments,
} from '../config';
import { serviceEndpointsKind } from './service-endpoints';
import type { DiscoverySource, Service } from './types';

/** Options of `StaticSource`. */
export interface StaticSourceOptions {
  /** YAML files or folders of YAML files. */
  paths: readonly string[];
  logger: Logger;
  /** Source name for logs and conflicts. Default `static:` followed by the paths. */
  name?: string;
  /**
   * Kinds the files may contain. Default: ServiceEndpoints only. Pass policy's
   * `createConfigKinds()` when the folder contains TrafficPolicy documents as well, so that the
   * source accepts and rejects edits exactly as the policy store does.
   */
  kinds?: KindRegistry;
  /**
   * Watch the paths and apply edits. Default true. Set it to false when the caller watches the
   * paths itself and hands each load to `offer`.
   */
  watch?: boolean;
  /** Reads the paths. Default: a loader of the source's own. Pass a shared one to reuse its parsed files. */
  loader?: DocumentLoader;
  /**
   * Log rejected loads and a valid load after a rejected one. Default true. Pass false when
   * another reader of the same loads, such as the policy store, logs them, so that each rejected
   * edit is logged once.
   */
  logRejections?: boolean;
  /** Quiet time after the last file event before reloading, in milliseconds. Default 100. */
  debounceMs?: number;
}

/** Returns a kind registry with the ServiceEndpoints kind only. */
export function createDiscoveryKinds(): KindRegistry {
  return new KindRegistry().register(serviceEndpointsKind);
}

/**
 * A discovery source read from ServiceEndpoints YAML documents. Each valid load replaces all of
 * its services. A load with any error is rejected as a whole: it is logged, its diagnostics are
 * kept for `lastErrors()`, and the services of the last valid load stay in force. The first load
 * is the exception: when its errors lie only in documents of other kinds, its services are put in
 * force, so a control plane started with a broken TrafficPolicy file still serves its services.
 */
export class StaticSource implements DiscoverySource {
  readonly name: string;
  private current: readonly Service[] = [];
  private currentJson = '';
  private errors: Diagnostic[] = [];
  private isSynced = false;
  private readonly listeners = new Set<() => void>();
  private readonly kinds: KindRegistry;
  private readonly log: Logger;
  private readonly loader: DocumentLoader;
  private watcher: ConfigWatcher | undefined;

  constructor(private readonly options: StaticSourceOptions) {
    if (options.paths.length === 0) throw new Error('StaticSource needs at least one path in options.paths');
    this.name = options.name ?? `static:${options.paths.join(',')}`;
    this.kinds = options.kinds ?? createDiscoveryKinds();
    this.loader = options.loader ?? new DocumentLoader();
    this.log = options.logger.child({ component: 'static-source', source: this.name });
  }

  /** True once a load was valid; it stays true when later edits are rejected. */
  get synced(): boolean {
    return this.isSynced;
  }

  /** Loads the paths once and then watches them, unless `watch` is false. Resolves after the first load, valid or not. */
  async start(): Promise<void> {
    this.offer(await this.loader.load(this.options.paths));
    if (this.options.watch === false) return;
    this.watcher = new ConfigWatcher(this.options.paths, (loaded) => this.offer(loaded), {
      logger: this.log,
      debounceMs: this.options.debounceMs,
      loader: this.loader,
    });
    this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  services(): readonly Service[] {
    return this.current;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Returns the diagnostics of the last load that had errors, or an empty list when the last load was valid. */
  lastErrors(): readonly Diagnostic[] {
    return this.errors;
  }

  /**
   * Validates a loaded document set and, when it has no error, makes its services current. Each
   * reload of the source's own watcher calls it. With `watch: false`, the caller calls it with
   * each load of the paths.
   */
  offer(loaded: LoadedDocuments): void {
    const { set, diagnostics } = this.kinds.validate(loaded);
    const logRejections = this.options.logRejections ?? true;
    const errorCount = diagnostics.filter((d) => d.severity === 'error').length;
    if (errorCount > 0 && !this.acceptsDespiteErrors(set)) {
      this.errors = diagnostics;
      if (logRejections) this.log.error({ errorCount, diagnostics: diagnostics.map(formatDiagnosticForLog) }, 'services rejected');
      return;
    }

    const wasRejected = this.errors.length > 0;
    this.errors = errorCount > 0 ? diagnostics : [];
    if (errorCount > 0) {
      this.log.warn({ errorCount }, 'services loaded at start although documents of other kinds have errors; every ServiceEndpoints document is valid');
    } else {
      for (const warning of diagnostics) this.log.warn({ diagnostic: formatDiagnostic(warning) }, 'services loaded with a warning');
    }

    const services = set
      .of(serviceEndpointsKind)
      .map((document) => document.value)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const json = JSON.stringify(services);
    const changed = !this.isSynced || json !== this.currentJson;
    this.current = services;
    this.currentJson = json;
    this.isSynced = true;
    if (!changed) {
      if (wasRejected && errorCount === 0 && logRejections) {
        this.log.info({ serviceCount: services.length }, 'services accepted again; the services in force did not change');
      }
      return;
    }

    this.log.info({ serviceCount: services.length, files: loaded.files.length }, 'services loaded');
    for (const listener of this.listeners) listener();
  }

  /**
   * Returns true when a load with errors may still put its services in force: only at the first
   * load, when there are no services to keep, every file was read and every ServiceEndpoints
   * document is valid. The errors then belong to documents of other kinds, such as TrafficPolicy,
   * whose own readers reject them.
   */
  private acceptsDespiteErrors(set: DocumentSet): boolean {
    return !this.isSynced && set.allFilesRead() && set.isComplete(serviceEndpointsKind.kind);
  }
}
