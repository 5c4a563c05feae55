import { createHash } from 'node:crypto';
import { isMap } from 'yaml';
import type { Logger } from 'pino';
import {
  ConfigWatcher,
  DocumentLoader,
  createDiagnostic,
  hasErrors,
  nodeAtPath,
  parseDocuments,
  positionOf,
  type ConfigDocument,
  type Diagnostic,
  type LoadedDocuments,
  type ParsedDocuments,
} from '../config';
import { canonicalJsonOf, TRAFFIC_POLICY_KIND, type PolicyCheckResult, type PolicySet, type PolicyStore } from '../policy';
import type { Revision, RevisionFile, RevisionStore, RevisionSummary } from './revisions';

/** Options of `PolicyHistory`. */
export interface PolicyHistoryOptions {
  policies: PolicyStore;
  revisions: RevisionStore;
  /** The watched YAML files and folders, which hold the ServiceEndpoints documents and may hold TrafficPolicy documents. */
  configPaths: readonly string[];
  logger: Logger;
  /** Quiet time after the last file event before reloading, in milliseconds. Default 100. */
  debounceMs?: number;
  /**
   * Watch the config paths and reconcile after each edit. Default true. Set it to false when the
   * caller watches the paths itself and hands each load to `offerFolder`.
   */
  watch?: boolean;
  /** Reads the config paths. Default: a loader of the history's own. Pass a shared one to reuse its parsed files. */
  loader?: DocumentLoader;
}

/** The outcome of `apply` or `rollback`. */
export interface RevisionOutcome {
  /** True when the candidate had no error. */
  accepted: boolean;
  /** Every diagnostic of the candidate, warnings included. */
  diagnostics: Diagnostic[];
  /** The revision in force afterwards: the new one, or the old one when nothing changed or the candidate was rejected. */
  revision?: RevisionSummary;
  /** True when the candidate was valid but its policies equal those in force, so no revision was recorded. */
  unchanged: boolean;
}

/** A revision as listed by `list()`. */
export interface ListedRevision extends RevisionSummary {
  inForce: boolean;
}

/** The outcome of `preview`: the set in force and the candidate's, for a dry run. */
export interface PolicyPreview {
  current: PolicySet;
  candidate: PolicyCheckResult;
}

/** Raised by `rollback` for a revision id that the log does not have. */
export class RevisionNotFoundError extends Error {
  constructor(readonly id: number, known: readonly number[]) {
    const range = known.length === 0 ? 'the history is empty' : `known revisions are ${known[0]} to ${known.at(-1)}`;
    super(`revision ${id} not found; ${range}`);
    this.name = 'RevisionNotFoundError';
  }
}

/**
 * Keeps the revision log and the policy store in step, so that the log is the one source of
 * truth for the TrafficPolicy documents in force.
 *
 * Three things record a revision: an edit of the TrafficPolicy documents in the watched folder
 * (author `file:PATH`), an apply through the admin API, and a rollback, which records the content
 * of an earlier revision again. Each candidate is the watched folder's ServiceEndpoints documents
 * plus the candidate's TrafficPolicy documents, validated by the policy store exactly as a folder
 * load. A rejected candidate records nothing and leaves the set in force as it was.
 *
 * The newest change wins, whichever side made it: an apply replaces the folder's policies until
 * the folder's TrafficPolicy documents change again. At start the folder counts as changed only
 * when its TrafficPolicy documents differ from those of the newest folder revision, so a restart
 * keeps an applied revision in force. Edits that touch only ServiceEndpoints documents record no
 * revision; the revision in force is validated again with the new services.
 */
export class PolicyHistory {
  private readonly log: Logger;
  private readonly loader: DocumentLoader;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: ConfigWatcher | undefined;
  /** The parsed files of the last revision offered with the folder's services, so that folder reloads do not parse them again. */
  private parsedRevision: { id: number; files: readonly ParsedDocuments[] } | undefined;

  constructor(private readonly options: PolicyHistoryOptions) {
    this.log = options.logger.child({ component: 'policy-history' });
    this.loader = options.loader ?? new DocumentLoader();
  }

  /**
   * Loads the folder, puts the right revision in force, then watches the folder unless `watch` is
   * false. Resolves after the first load.
   */
  async start(): Promise<void> {
    const folder = await this.loader.load(this.options.configPaths);
    await this.offerFolder(folder);
    if (this.options.watch === false) return;
    this.watcher = new ConfigWatcher(this.options.configPaths, (loaded) => this.offerFolder(loaded), {
      logger: this.log,
      debounceMs: this.options.debounceMs,
      loader: this.loader,
    });
    this.watcher.start();
  }

  /**
   * Puts in force the policies that a load of the watched folder calls for, by the rules of the
   * class comment, after the operation in progress. Each reload of the history's own watcher
   * calls it. With `watch: false`, the caller calls it with each load of the config paths.
   */
  async offerFolder(folder: LoadedDocuments): Promise<void> {
    await this.enqueue(() => this.reconcileFolder(folder));
  }

  /** Stops watching and waits for the operation in progress. */
  async close(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
    await this.queue;
  }

  /** Returns every revision without its files, oldest first; the newest is in force. */
  list(): ListedRevision[] {
    const inForce = this.options.revisions.inForce()?.id;
    return this.options.revisions.list().map((revision) => ({ ...revision, inForce: revision.id === inForce }));
  }

  /** Returns a revision with its files, or undefined when the log has no such id. */
  get(id: number): Revision | undefined {
    return this.options.revisions.get(id);
  }

  /** Validates candidate TrafficPolicy files against the watched folder's services without applying them. */
  async preview(files: readonly RevisionFile[]): Promise<PolicyPreview> {
    return this.enqueue(async () => {
      const candidate = candidateOf(await this.loader.load(this.options.configPaths), files, { rejectOtherKinds: true });
      return { current: this.options.policies.current(), candidate: this.options.policies.check(candidate) };
    });
  }

  /** Validates TrafficPolicy files and, when they have no error, records them as a revision and puts them in force. */
  async apply(files: readonly RevisionFile[], author: string, message: string): Promise<RevisionOutcome> {
    return this.enqueue(() => this.record(files, { author, message }, { rejectOtherKinds: true }));
  }

  /** Records the content of revision `id` as a new revision and puts it in force. Throws `RevisionNotFoundError`. */
  async rollback(id: number, author: string, message?: string): Promise<RevisionOutcome> {
    return this.enqueue(() => {
      const target = this.options.revisions.get(id);
      if (target === undefined) throw new RevisionNotFoundError(id, this.options.revisions.list().map((revision) => revision.id));
      const text = message ?? `rollback to revision ${id}`;
      // Folder revisions keep whole files, which may contain ServiceEndpoints documents too. Only their policies count.
      return this.record(target.files, { author, message: text, rollbackOf: id }, { rejectOtherKinds: false });
    });
  }

  private async record(
    files: readonly RevisionFile[],
    metadata: { author: string; message: string; rollbackOf?: number },
    options: { rejectOtherKinds: boolean },
  ): Promise<RevisionOutcome> {
    const { policies, revisions } = this.options;
    const candidate = candidateOf(await this.loader.load(this.options.configPaths), files, options);
    const check = policies.check(candidate);
    const inForce = revisions.inForce();
    if (!check.accepted) {
      this.log.warn({ author: metadata.author, errors: countErrors(check.diagnostics), inForce: inForce?.id }, 'policy revision rejected');
      return { accepted: false, diagnostics: check.diagnostics, revision: inForce && summaryOf(inForce), unchanged: false };
    }
    if (inForce !== undefined && inForce.hash === check.set.revision && policies.current().revision === check.set.revision) {
      return { accepted: true, diagnostics: check.diagnostics, revision: summaryOf(inForce), unchanged: true };
    }

    const revision = await revisions.append({ hash: check.set.revision, files: files.map((file) => ({ ...file })), ...metadata });
    policies.offer(candidate);
    this.log.info({ revision: revision.id, hash: revision.hash, author: revision.author, rollbackOf: revision.rollbackOf }, 'policy revision recorded');
    return { accepted: true, diagnostics: check.diagnostics, revision: summaryOf(revision), unchanged: false };
  }

  /** Puts in force the policies that a load of the watched folder calls for, by the rules of the class comment. */
  private async reconcileFolder(folder: LoadedDocuments): Promise<void> {
    const { policies, revisions } = this.options;
    const digest = folderDigest(folder);
    const inForce = revisions.inForce();
    const latestFromFolder = revisions.latestFromFolder();

    if (inForce !== undefined && latestFromFolder?.folderDigest === digest) {
      // The folder's policies have not changed since they were recorded: keep the revision in
      // force, checked against the folder's current services.
      if (inForce.id === latestFromFolder.id) {
        // The revision in force has the folder's policies, so the folder is offered as it is. A
        // reader that validates the same load with the same kinds, as the static source does in
        // startMeridian, then reuses the result.
        this.offerFolderOrRevision(folder, inForce);
      } else {
        policies.offer(this.candidateWithRevision(folder, inForce));
      }
      return;
    }

    const check = policies.check(folder);
    if (!check.accepted) {
      this.offerFolderOrRevision(folder, inForce);
      return;
    }

    const files = policyFilesOf(folder);
    const author = `file:${this.options.configPaths.join(',')}`;
    const message = revisions.list().length === 0 ? 'first load of the watched folder' : 'watched folder changed';
    const revision = await revisions.append({ hash: check.set.revision, author, message, files, folderDigest: digest });
    policies.offer(folder);
    this.log.info({ revision: revision.id, hash: revision.hash, author }, 'policy revision recorded');
  }

  /**
   * Offers the folder. When the store rejects it and has never accepted a set, as at a start with
   * an invalid folder, offers the folder's services with the policies of the revision in force.
   */
  private offerFolderOrRevision(folder: LoadedDocuments, inForce: Revision | undefined): void {
    const { policies } = this.options;
    // The store logs a rejected folder with every diagnostic and keeps them for lastErrors(), and the set in force stays.
    if (policies.offer(folder).accepted || inForce === undefined || policies.synced) return;
    this.log.warn({ revision: inForce.id }, 'watched folder rejected; serving the revision in force');
    policies.offer(this.candidateWithRevision(folder, inForce));
  }

  /** Returns the folder's documents with the policies of `revision`, parsing its files once while it stays the one offered. */
  private candidateWithRevision(folder: LoadedDocuments, revision: Revision): LoadedDocuments {
    if (this.parsedRevision?.id !== revision.id) {
      this.parsedRevision = { id: revision.id, files: revision.files.map((file) => parseDocuments(file.name, file.text)) };
    }
    return candidateOf(folder, revision.files, { rejectOtherKinds: false }, this.parsedRevision.files);
  }

  /** Runs operations one at a time, so a folder reload never interleaves with an apply. */
  private enqueue<T>(operation: () => Promise<T> | T): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * Builds a candidate document set: the watched folder's documents except its TrafficPolicy
 * documents, plus the TrafficPolicy documents of `files`. With `rejectOtherKinds`, a document of
 * another kind in `files` is an error; otherwise it is left out. `parsedFiles` is the parse of
 * each of `files`, in the same order, for a caller that kept it; without it, the files are parsed
 * here.
 */
export function candidateOf(
  folder: LoadedDocuments,
  files: readonly RevisionFile[],
  options: { rejectOtherKinds: boolean },
  parsedFiles: readonly ParsedDocuments[] = files.map((file) => parseDocuments(file.name, file.text)),
): LoadedDocuments {
  if (parsedFiles.length !== files.length) {
    throw new Error(`candidateOf got ${parsedFiles.length} parsed files for ${files.length} files; pass one parse per file, in order`);
  }
  const candidateFiles = [...folder.files];
  const documents = folder.documents.filter((document) => kindOf(document) !== TRAFFIC_POLICY_KIND);
  const diagnostics = [...folder.diagnostics];
  files.forEach((file, index) => {
    const parsed = parsedFiles[index];
    candidateFiles.push(file.name);
    diagnostics.push(...parsed.diagnostics);
    for (const document of parsed.documents) {
      const kind = kindOf(document);
      if (kind === TRAFFIC_POLICY_KIND || kind === undefined) {
        documents.push(document);
      } else if (options.rejectOtherKinds) {
        diagnostics.push(notAPolicy(document, kind));
      }
    }
  });
  return { files: candidateFiles, documents, diagnostics };
}

function notAPolicy(document: ConfigDocument, kind: string): Diagnostic {
  const position = positionOf(document, nodeAtPath(document, 'kind'));
  return createDiagnostic('MERIDIAN_CONFIG_NOT_A_POLICY', {
    file: document.file,
    line: position.line,
    column: position.column,
    path: 'kind',
    value: kind,
    message: `a ${kind} document cannot be applied; only TrafficPolicy documents can`,
  });
}

/** Returns the `kind` of a document when it is a string, whatever else is wrong with it. */
function kindOf(document: ConfigDocument): string | undefined {
  const contents = document.yaml.contents;
  if (!isMap(contents)) return undefined;
  const kind = contents.get('kind');
  return typeof kind === 'string' ? kind : undefined;
}

/** Returns the files of a load that contain at least one TrafficPolicy document, with their full text. */
function policyFilesOf(folder: LoadedDocuments): RevisionFile[] {
  const names = new Set(folder.documents.filter((document) => kindOf(document) === TRAFFIC_POLICY_KIND).map((document) => document.file));
  return folder.files.filter((file) => names.has(file)).map((file) => ({ name: file, text: folder.texts?.get(file) ?? '' }));
}

/** Returns a digest of the TrafficPolicy documents of a load, independent of comments, key order and file layout. */
export function folderDigest(folder: LoadedDocuments): string {
  const documents = folder.documents
    .filter((document) => kindOf(document) === TRAFFIC_POLICY_KIND)
    .map((document) => canonicalJsonOf(document))
    .sort();
  return createHash('sha256').update(`[${documents.join(',')}]`).digest('hex');
}

function summaryOf(revision: Revision): RevisionSummary {
  const { files: _files, ...summary } = revision;
  return summary;
}

function countErrors(diagnostics: readonly Diagnostic[]): number {
  return hasErrors(diagnostics) ? diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length : 0;
}
