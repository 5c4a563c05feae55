import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** One file of a policy revision: its name as the author gave it, and its full YAML text. */
export interface RevisionFile {
  name: string;
  text: string;
}

/** Metadata of a policy revision, without its files. */
export interface RevisionSummary {
  /** 1 for the first revision, then one more for each revision recorded. */
  id: number;
  /** Content hash of the TrafficPolicy documents (`PolicySet.revision`), the same in every push it causes. */
  hash: string;
  /** `file:<path>` for an edit of the watched folder, the name given to the admin API otherwise. */
  author: string;
  /** Recording time, ISO 8601. */
  time: string;
  message: string;
  /** The revision whose content this one restores, for a rollback. */
  rollbackOf?: number;
  /**
   * Digest of the watched folder's TrafficPolicy documents, for revisions read from the folder. A
   * folder whose digest equals that of the latest folder revision has not changed since.
   */
  folderDigest?: string;
}

/** A recorded policy revision with its documents. */
export interface Revision extends RevisionSummary {
  files: RevisionFile[];
}

/** Fields of a revision to record. The store assigns the id and the time. */
export type RevisionInput = Omit<Revision, 'id' | 'time'>;

const REVISION_FILE = /^(\d{8})\.json$/;

/**
 * An append-only log of policy revisions. The newest revision is the one in force: applying,
 * rolling back and editing the watched folder each append one, and a rejected candidate appends
 * nothing.
 *
 * With a folder, each revision is one JSON file `revisions/NNNNNNNN.json` under it, written to a
 * temporary file, flushed with fsync and renamed into place, so a crash leaves either the whole
 * revision or none. Without a folder the log lives in memory and ends with the process.
 */
export class RevisionStore {
  private constructor(
    private readonly folder: string | undefined,
    private readonly revisions: Revision[],
    private readonly now: () => Date,
  ) {}

  /**
   * Opens the log under `stateDir` (created when missing), or an in-memory log when `stateDir` is
   * undefined. Throws when a revision file cannot be read or parsed, naming the file.
   */
  static async open(stateDir: string | undefined, options: { now?: () => Date } = {}): Promise<RevisionStore> {
    const now = options.now ?? (() => new Date());
    if (stateDir === undefined) return new RevisionStore(undefined, [], now);

    const folder = path.join(stateDir, 'revisions');
    await fs.mkdir(folder, { recursive: true });
    const names = (await fs.readdir(folder)).filter((name) => REVISION_FILE.test(name)).sort();
    const revisions: Revision[] = [];
    for (const name of names) revisions.push(await readRevision(path.join(folder, name)));
    return new RevisionStore(folder, revisions, now);
  }

  /** Folder of the revision files, or undefined for an in-memory log. */
  get location(): string | undefined {
    return this.folder;
  }

  /** Returns every revision without its files, oldest first. */
  list(): RevisionSummary[] {
    return this.revisions.map(summarize);
  }

  /** Returns a revision with its files, or undefined when no revision has the id. */
  get(id: number): Revision | undefined {
    return this.revisions.find((revision) => revision.id === id);
  }

  /** Returns the revision in force: the newest one, or undefined when the log is empty. */
  inForce(): Revision | undefined {
    return this.revisions.at(-1);
  }

  /** Returns the newest revision read from the watched folder, or undefined when there is none. */
  latestFromFolder(): Revision | undefined {
    for (let index = this.revisions.length - 1; index >= 0; index--) {
      if (this.revisions[index].folderDigest !== undefined) return this.revisions[index];
    }
    return undefined;
  }

  /** Records a revision, which becomes the one in force. Resolves once it is on disk. */
  async append(input: RevisionInput): Promise<Revision> {
    const id = (this.revisions.at(-1)?.id ?? 0) + 1;
    const revision: Revision = { id, time: this.now().toISOString(), ...input };
    if (this.folder !== undefined) {
      await writeFileAtomically(path.join(this.folder, `${String(id).padStart(8, '0')}.json`), `${JSON.stringify(revision, null, 2)}\n`);
    }
    this.revisions.push(revision);
    return revision;
  }
}

function summarize(revision: Revision): RevisionSummary {
  const { files: _files, ...summary } = revision;
  return summary;
}

async function readRevision(file: string): Promise<Revision> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read policy revision "${file}": ${(error as Error).message}; restore the file or move it out of the state folder`);
  }
  const problem = checkRevision(parsed);
  if (problem !== undefined) {
    throw new Error(`invalid policy revision "${file}": ${problem}; restore the file or move it out of the state folder`);
  }
  const revision = parsed as Revision;
  const expectedId = Number(REVISION_FILE.exec(path.basename(file))?.[1]);
  if (revision.id !== expectedId) {
    throw new Error(`invalid policy revision "${file}": it records id ${revision.id} but its file name gives ${expectedId}; restore the file`);
  }
  return revision;
}

/** Returns what is wrong with a parsed revision file, or undefined when it has every field. */
function checkRevision(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  if (!Number.isInteger(record.id)) return 'field "id" is not an integer';
  for (const field of ['hash', 'author', 'time', 'message']) {
    if (typeof record[field] !== 'string') return `field "${field}" is not a string`;
  }
  if (!Array.isArray(record.files)) return 'field "files" is not a list';
  for (const file of record.files as unknown[]) {
    const entry = file as Record<string, unknown> | null;
    if (typeof entry?.name !== 'string' || typeof entry.text !== 'string') return 'an entry of "files" lacks a string "name" or "text"';
  }
  return undefined;
}

/**
 * Writes a file so that readers and crashes see the old content or the new one, never a part.
 * The content goes to a temporary file in the same folder, is flushed with fsync and renamed over
 * the target. The folder is flushed last, so the rename itself is durable.
 */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
  const folder = await fs.open(path.dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
