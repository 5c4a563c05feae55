import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  ConfigWatcher,
  DocumentLoader,
  formatDiagnostic,
  formatDiagnosticForLog,
  hasErrors,
  loadDocuments,
  type ConfigDocument,
  type Diagnostic,
  type KindRegistry,
  type LoadedDocuments,
  type ValidatedDocument,
} from '../config';
import { withSpan } from '../telemetry';
import type { PolicySet, TrafficPolicy } from './model';
import { trafficPolicyKind } from './traffic-policy';
import { createConfigKinds } from './validate-files';

/** Hex characters of the sha256 digest kept in a policy revision. */
export const REVISION_LENGTH = 12;

/** Options of `PolicyStore`. */
export interface PolicyStoreOptions {
  logger: Logger;
  /** Kinds the files may contain. Default `createConfigKinds()`. */
  kinds?: KindRegistry;
  /** Quiet time after the last file event before reloading, in milliseconds. Default 100. */
  debounceMs?: number;
}

/** The outcome of one load. */
export interface PolicyLoadResult {
  /** True when the load had no error and its policies are now in force. */
  accepted: boolean;
  diagnostics: Diagnostic[];
}

/** The outcome of validating a candidate document set without putting it in force. */
export interface PolicyCheckResult {
  /** True when the candidate has no error, so `offer` would accept it. */
  accepted: boolean;
  diagnostics: Diagnostic[];
  /** The candidate's policy set; empty with the revision of no documents when it is rejected. */
  set: PolicySet;
}

/**
 * Keeps the TrafficPolicy set in force. A load replaces it only when the whole document set,
 * ServiceEndpoints included, has no error. Otherwise the load is logged with every diagnostic, and
 * the running set stays.
 */
export class PolicyStore {
  private set: PolicySet = { policies: [], revision: revisionOf([]) };
  private setJson = '[]';
  private errors: Diagnostic[] = [];
  /**
   * The last rejected load, and the diagnostics logged for the last rejection since a load was
   * accepted. The same load, or a candidate with the same errors, offered again, as at start, is
   * rejected without a second log record.
   */
  private lastRejected: LoadedDocuments | undefined;
  private lastRejectedDiagnostics: string | undefined;
  private accepted = false;
  private readonly listeners = new Set<() => void>();
  private readonly kinds: KindRegistry;
  private readonly log: Logger;
  private watcher: ConfigWatcher | undefined;

  constructor(private readonly options: PolicyStoreOptions) {
    this.kinds = options.kinds ?? createConfigKinds();
    this.log = options.logger.child({ component: 'policy-store' });
  }

  /** Returns the policy set in force: empty, with the revision of no documents, until a load is accepted. */
  current(): PolicySet {
    return this.set;
  }

  /** True once a load was accepted. */
  get synced(): boolean {
    return this.accepted;
  }

  /** Returns the diagnostics of the last rejected load, or an empty list when the last load was accepted. */
  lastErrors(): readonly Diagnostic[] {
    return this.errors;
  }

  /** Registers a listener called after each change of the set in force. Returns a function that removes it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads and validates the paths once, and makes their policies current when there is no error. */
  async load(paths: readonly string[]): Promise<PolicyLoadResult> {
    return this.apply(await loadDocuments(paths));
  }

  /** Loads the paths, then reloads them after each edit. Resolves after the first load, accepted or not. */
  async watch(paths: readonly string[]): Promise<PolicyLoadResult> {
    if (this.watcher !== undefined) throw new Error('the policy store already watches its paths; call close() before watching again');
    const loader = new DocumentLoader();
    const result = this.apply(await loader.load(paths));
    this.watcher = new ConfigWatcher(paths, (loaded) => void this.apply(loaded), { logger: this.log, debounceMs: this.options.debounceMs, loader });
    this.watcher.start();
    return result;
  }

  /**
   * Validates a loaded document set exactly as a load does, without changing the set in force.
   * Used to preview a candidate before it is recorded.
   */
  check(loaded: LoadedDocuments): PolicyCheckResult {
    const { set, diagnostics } = this.kinds.validate(loaded);
    if (hasErrors(diagnostics)) return { accepted: false, diagnostics, set: { policies: [], revision: revisionOf([]) } };
    const documents = set.of(trafficPolicyKind).sort((a, b) => (a.name < b.name ? -1 : 1));
    return { accepted: true, diagnostics, set: { policies: documents.map((document) => document.value), revision: revisionOf(documents) } };
  }

  /**
   * Validates a loaded document set and makes its policies current when it has no error, as a
   * reload of watched paths does. For callers that read the documents themselves, such as the
   * revision history.
   */
  offer(loaded: LoadedDocuments): PolicyLoadResult {
    return this.apply(loaded);
  }

  /** Stops watching. */
  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  private apply(loaded: LoadedDocuments): PolicyLoadResult {
    const { set, diagnostics } = this.kinds.validate(loaded);
    if (hasErrors(diagnostics)) {
      this.errors = diagnostics;
      const formatted = diagnostics.map(formatDiagnosticForLog);
      const key = formatted.join('\n');
      if (loaded === this.lastRejected || key === this.lastRejectedDiagnostics) return { accepted: false, diagnostics };
      this.lastRejected = loaded;
      this.lastRejectedDiagnostics = key;
      this.log.error(
        {
          errorCount: diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length,
          revision: this.set.revision,
          diagnostics: formatted,
        },
        'configuration rejected',
      );
      return { accepted: false, diagnostics };
    }
    const wasRejected = this.errors.length > 0;
    this.lastRejectedDiagnostics = undefined;
    for (const warning of diagnostics) this.log.warn({ diagnostic: formatDiagnostic(warning) }, 'policies loaded with a warning');

    const documents = set.of(trafficPolicyKind).sort((a, b) => (a.name < b.name ? -1 : 1));
    const policies = documents.map((document) => document.value);
    const json = JSON.stringify(policies);
    const changed = !this.accepted || json !== this.setJson;
    this.errors = [];
    this.accepted = true;
    if (changed) {
      this.set = { policies, revision: revisionOf(documents) };
      this.setJson = json;
      this.log.info({ revision: this.set.revision, policyCount: policies.length }, 'policies loaded');
      withSpan('meridian.policy.update', { 'meridian.policy.revision': this.set.revision, 'meridian.policy.count': policies.length }, () => {
        for (const listener of this.listeners) listener();
      });
    } else if (wasRejected) {
      this.log.info({ revision: this.set.revision }, 'configuration accepted again; the policies in force did not change');
    }
    return { accepted: true, diagnostics };
  }
}

/** Returns the first hex characters of the sha256 of the documents' canonical JSON, in name order. */
export function revisionOf(documents: readonly ValidatedDocument<TrafficPolicy>[]): string {
  const canonical = documents.map((document) => canonicalJsonOf(document.document));
  return createHash('sha256').update(`[${canonical.join(',')}]`).digest('hex').slice(0, REVISION_LENGTH);
}

/** Canonical JSON by document. An entry lives as long as its document. */
const canonicalDocuments = new WeakMap<ConfigDocument, string>();

/**
 * Returns the canonical JSON of a document's content. The result is kept per document object,
 * because documents never change and a loader hands the same objects to every load while a
 * file's text stays the same.
 */
export function canonicalJsonOf(document: ConfigDocument): string {
  let json = canonicalDocuments.get(document);
  if (json === undefined) {
    json = canonicalJson(document.yaml.toJSON());
    canonicalDocuments.set(document, json);
  }
  return json;
}

/** Serializes JSON with object keys sorted, so that equal content gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
