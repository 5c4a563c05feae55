import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { ALL_TYPE_URLS, buildSnapshot, contentHash, type EncodedResource, type ResourceRef, type Snapshot, type TypeUrl } from '../xds';
import { writeFileAtomically } from './revisions';

/** Name of the last known good snapshot file inside the state folder. */
export const SNAPSHOT_FILE = 'snapshots.json';

/** Format number of the snapshot file; a file of another format is ignored with a warning. */
const SNAPSHOT_FORMAT = 1;

interface StoredResource {
  name: string;
  version: string;
  /** The serialized resource, base64. */
  body: string;
  references?: ResourceRef[];
}

interface StoredSnapshot {
  cause: string;
  types: Partial<Record<TypeUrl, StoredResource[]>>;
}

interface SnapshotFile {
  format: number;
  savedTime: string;
  groups: Record<string, StoredSnapshot>;
}

export interface SnapshotStoreOptions {
  /** State folder; the file is `SNAPSHOT_FILE` inside it. */
  stateDir: string;
  logger: Logger;
  /** Wait after a change before the file is written, so a burst of publishes writes once. Default 200 ms. */
  writeDelayMs?: number;
}

/**
 * The last known good snapshot of every proxy group on local disk. The file stores the encoded
 * resources themselves, not the inputs that produced them, so a restarted control plane serves
 * byte-identical resources with the same content versions before its discovery sources have
 * synced, and needs neither the policy engine nor the registry to do so.
 *
 * Writes are atomic (temporary file, fsync, rename, fsync of the folder), so a crash leaves the
 * previous file or the new one. A file that fails to parse, or whose resource bodies do not match
 * their versions, is ignored with a warning and the control plane starts cold.
 */
export class SnapshotStore {
  private readonly file: string;
  private readonly log: Logger;
  private readonly pending = new Map<string, Snapshot>();
  private saved: Record<string, StoredSnapshot> = {};
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: SnapshotStoreOptions) {
    this.file = path.join(options.stateDir, SNAPSHOT_FILE);
    this.log = options.logger.child({ component: 'snapshot-store' });
  }

  /** Path of the snapshot file. */
  get location(): string {
    return this.file;
  }

  /** Reads the file and returns the snapshot of each group, or an empty map when there is none or it is invalid. */
  async load(): Promise<Map<string, Snapshot>> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn({ file: this.file, err: error }, 'snapshot file unreadable; starting cold');
      return new Map();
    }
    try {
      const parsed = JSON.parse(text) as SnapshotFile;
      if (parsed.format !== SNAPSHOT_FORMAT) throw new Error(`format ${String(parsed.format)} is not ${SNAPSHOT_FORMAT}`);
      const snapshots = new Map<string, Snapshot>();
      for (const [group, stored] of Object.entries(parsed.groups)) snapshots.set(group, decodeSnapshot(stored));
      this.saved = parsed.groups;
      this.log.info({ file: this.file, groups: snapshots.size, savedTime: parsed.savedTime }, 'last known good snapshot loaded');
      return snapshots;
    } catch (error) {
      this.log.warn({ file: this.file, err: error }, 'snapshot file invalid; starting cold');
      return new Map();
    }
  }

  /** Queues a group's snapshot for the next write. */
  save(group: string, snapshot: Snapshot): void {
    this.pending.set(group, snapshot);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.writeDelayMs ?? 200);
    this.timer.unref();
  }

  /** Writes the queued snapshots now; resolves when the file is on disk. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.writing;
    for (const [group, snapshot] of this.pending) this.saved[group] = encodeSnapshot(snapshot);
    this.pending.clear();
    const file: SnapshotFile = { format: SNAPSHOT_FORMAT, savedTime: new Date().toISOString(), groups: this.saved };
    const text = JSON.stringify(file);
    this.writing = this.writing.then(async () => {
      try {
        await fs.mkdir(this.options.stateDir, { recursive: true });
        await writeFileAtomically(this.file, text);
        this.log.debug({ file: this.file, groups: Object.keys(file.groups).length, bytes: text.length }, 'snapshot file written');
      } catch (error) {
        this.log.error({ file: this.file, err: error }, 'snapshot file write failed; the previous file stays');
      }
    });
    return this.writing;
  }
}

function encodeSnapshot(snapshot: Snapshot): StoredSnapshot {
  const types: StoredSnapshot['types'] = {};
  for (const [typeUrl, typeSnapshot] of snapshot.types) {
    types[typeUrl] = [...typeSnapshot.resources.values()].map((resource) => ({
      name: resource.name,
      version: resource.version,
      body: Buffer.from(resource.body).toString('base64'),
      ...(resource.references ? { references: [...resource.references] } : {}),
    }));
  }
  return { cause: snapshot.cause, types };
}

function decodeSnapshot(stored: StoredSnapshot): Snapshot {
  const byType = new Map<TypeUrl, EncodedResource[]>();
  for (const typeUrl of ALL_TYPE_URLS) {
    const resources = stored.types[typeUrl];
    if (!resources) continue;
    byType.set(
      typeUrl,
      resources.map((resource) => {
        const body = new Uint8Array(Buffer.from(resource.body, 'base64'));
        if (contentHash(body) !== resource.version) {
          throw new Error(`resource ${resource.name} of ${typeUrl} does not match its version ${resource.version}`);
        }
        return { name: resource.name, typeUrl, version: resource.version, body, ...(resource.references ? { references: resource.references } : {}) };
      }),
    );
  }
  return buildSnapshot(byType, `restored ${stored.cause}`);
}
