import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { withSpan } from '../telemetry';
import { DocumentLoader, type LoadedDocuments } from './documents';

/** Default quiet time after the last file event before the paths are read again. */
export const DEFAULT_DEBOUNCE_MS = 100;

/** Default maximum time from the first event of a burst to its reload, while events keep coming. */
export const DEFAULT_MAX_DELAY_MS = 1000;

/** Options of `ConfigWatcher`. */
export interface ConfigWatcherOptions {
  /** Quiet time after the last file event before reloading, in milliseconds. Default 100. */
  debounceMs?: number;
  /**
   * Maximum time from the first file event of a burst to its reload, in milliseconds, so that a
   * file written without pause is still reloaded. Default 1000, and never less than `debounceMs`.
   */
  maxDelayMs?: number;
  /**
   * Reads the paths at each reload. Default: a loader of the watcher's own. Pass a loader that
   * other readers of the same paths use, so that they reuse the files it parsed.
   */
  loader?: DocumentLoader;
  logger: Logger;
}

/** Receives each reloaded document set. A returned promise is awaited before the next reload. */
export type ReloadListener = (loaded: LoadedDocuments) => void | Promise<void>;

/**
 * Watches configuration files and folders and reloads them all after each burst of changes.
 *
 * Each path's folder is watched rather than the file itself, because editors save by writing a
 * new file and renaming it over the old one, which ends a watch on the old file. For a folder,
 * only events on `.yaml` and `.yml` names count, so editors' swap and backup files do not
 * trigger reloads. A burst of events is reloaded once it has been quiet for `debounceMs`, or
 * `maxDelayMs` after its first event if it never goes quiet. Reloads never overlap: events during
 * a reload schedule one more after it. Each reload parses only the files whose text changed (see
 * `DocumentLoader`).
 *
 * NOTE: a watched folder that is itself deleted or renamed is not watched again. The watch error
 * is logged, and the last reloaded set stays in force.
 */
export class ConfigWatcher {
  private readonly watchers: fs.FSWatcher[] = [];
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly loader: DocumentLoader;
  private timer: NodeJS.Timeout | undefined;
  /** Time of the first event not yet reloaded. */
  private burstStartedAt: number | undefined;
  /** Time of the latest file event, in `Date.now()` milliseconds. */
  private lastEventAt: number | undefined;
  private deliveringEventAt: number | undefined;
  private reloading: Promise<void> | undefined;
  private pending = false;
  private closed = false;

  constructor(
    private readonly paths: readonly string[],
    private readonly listener: ReloadListener,
    private readonly options: ConfigWatcherOptions,
  ) {
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    if (!Number.isFinite(this.debounceMs) || this.debounceMs < 0) {
      throw new Error(`debounceMs must be a number of milliseconds of 0 or more, got ${this.debounceMs}`);
    }
    this.maxDelayMs = Math.max(this.debounceMs, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
    if (!Number.isFinite(this.maxDelayMs)) {
      throw new Error(`maxDelayMs must be a number of milliseconds, got ${options.maxDelayMs}`);
    }
    this.loader = options.loader ?? new DocumentLoader();
  }

  /** Starts watching. Throws when a path cannot be watched, for example when it does not exist. */
  start(): void {
    for (const configPath of this.paths) {
      const isFolder = fs.statSync(configPath).isDirectory();
      const folder = isFolder ? configPath : path.dirname(configPath);
      const accepts = isFolder ? isYamlName : (name: string) => name === path.basename(configPath);
      const watcher = fs.watch(folder, (_event, name) => {
        if (name === null || accepts(name.toString())) this.schedule();
      });
      watcher.on('error', (error) => this.options.logger.error({ err: error, folder }, 'config watch failed'));
      this.watchers.push(watcher);
    }
  }

  /**
   * Reloads the paths now, without waiting for the quiet time, and resolves once the listener has
   * handled the set. A reload in progress finishes first. For callers that read the paths before
   * `start()`, so that an edit made in between is not missed.
   */
  async reloadNow(): Promise<void> {
    if (this.closed) return;
    const inProgress = this.reloading;
    this.reload();
    // A reload in progress starts the requested one when it ends.
    if (inProgress !== undefined) await inProgress;
    await this.reloading;
  }

  /**
   * Returns the time of the last file event that the reload now in its listener reads, in
   * `Date.now()` milliseconds, or undefined outside a listener call and for `reloadNow()`. A
   * consumer that debounces again can count its quiet period from that event, because the
   * watcher has already waited `debounceMs` after it.
   */
  get eventTimeOfReload(): number | undefined {
    return this.deliveringEventAt;
  }

  /** Stops watching and waits for a reload in progress. No listener call starts after it resolves. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
    await this.reloading;
  }

  private schedule(): void {
    if (this.closed) return;
    const now = Date.now();
    this.lastEventAt = now;
    this.burstStartedAt ??= now;
    const wait = Math.max(0, Math.min(this.debounceMs, this.burstStartedAt + this.maxDelayMs - now));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.burstStartedAt = undefined;
      this.reload();
    }, wait);
  }

  private reload(): void {
    if (this.reloading !== undefined) {
      this.pending = true;
      return;
    }
    const eventAt = this.lastEventAt;
    this.lastEventAt = undefined;
    this.reloading = this.runReload(eventAt).finally(() => {
      this.reloading = undefined;
      if (this.pending && !this.closed) {
        this.pending = false;
        this.reload();
      }
    });
  }

  private async runReload(eventAt: number | undefined): Promise<void> {
    try {
      const startedAt = performance.now();
      const parsedBefore = this.loader.filesParsed;
      const loaded = await this.loader.load(this.paths);
      this.options.logger.debug(
        { files: loaded.files.length, filesParsed: this.loader.filesParsed - parsedBefore, loadMs: Math.round(performance.now() - startedAt) },
        'config reloaded',
      );
      if (this.closed) return;
      this.deliveringEventAt = eventAt;
      const attributes = { 'meridian.config.files': loaded.files.length, 'meridian.config.files_parsed': this.loader.filesParsed - parsedBefore };
      await withSpan('meridian.config.reload', attributes, () => this.listener(loaded));
    } catch (error) {
      this.options.logger.error({ err: error, paths: this.paths }, 'config reload failed');
    } finally {
      this.deliveringEventAt = undefined;
    }
  }
}

function isYamlName(name: string): boolean {
  const extension = path.extname(name);
  return extension === '.yaml' || extension === '.yml';
}
