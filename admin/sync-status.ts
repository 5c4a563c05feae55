import type { Locality } from '../discovery';
import type { NodeInfo, StreamInfo, XdsServerHooks } from '../xds';

/** State of one resource type on one stream. */
export type TypeSyncState =
  /** A response was sent and the proxy has neither ACKed nor NACKed it yet. */
  | 'pending'
  /** The proxy ACKed the last version sent. */
  | 'synced'
  /** The proxy NACKed the last version sent and keeps its last accepted one. */
  | 'nacked';

/** A rejected response as the proxy reported it. */
export interface NackRecord {
  /** The `version_info` of the rejected response. */
  version: string;
  /** The proxy's `error_detail.message`. */
  message: string;
  /** Arrival time of the NACK, ISO 8601. */
  time: string;
}

/** Sync status of one resource type on one stream. */
export interface TypeSyncStatus {
  typeUrl: string;
  state: TypeSyncState;
  /** `version_info` of the last response sent, or null before the first. */
  lastSentVersion: string | null;
  /** Time of the last response sent, ISO 8601, or null before the first. */
  lastSentTime: string | null;
  /** Last version the proxy ACKed, or null before the first ACK. */
  lastAckedVersion: string | null;
  /** Arrival time of the last ACK, ISO 8601, or null before the first ACK. */
  lastAckedTime: string | null;
  /** The most recent NACK, or null if none. It stays after later ACKs so that operators can still see it. */
  lastNack: NackRecord | null;
}

/** Sync status of one connected xDS stream, which with ADS is one proxy. */
export interface ProxySyncStatus {
  streamId: number;
  /** `ads`, or the per-type service name such as `clusters`. */
  service: string;
  /** Envoy's node id, or null until the stream's first request names it. */
  nodeId: string | null;
  /** Envoy's `--service-cluster`, or null until the first request. */
  nodeCluster: string | null;
  /** The proxy's locality, or null when it sent none or before the first request. */
  locality: Locality | null;
  /**
   * Client kind from the tracker's `kindOf`, such as `envoy` or `grpc`. Null before the first
   * request names the node, or when the tracker has no `kindOf`.
   */
  kind: string | null;
  /** Opening time of the stream, ISO 8601. */
  connectedTime: string;
  /** One entry per resource type the stream has exchanged, sorted by type URL. */
  types: TypeSyncStatus[];
}

/** Source of the `/debug/sync` view. */
export interface SyncStatusProvider {
  /** Returns a fresh copy of the status of every open stream, sorted by stream id. */
  syncStatus(): ProxySyncStatus[];
}

export interface SyncStatusTrackerOptions {
  /** Clock for the recorded times. Default `() => new Date()`. */
  now?: () => Date;
  /** Tells the client kind of a node for `ProxySyncStatus.kind`. Default: none, and `kind` is null. */
  kindOf?: (node: NodeInfo) => string;
}

interface StreamRecord {
  stream: StreamInfo;
  connectedTime: string;
  types: Map<string, TypeSyncStatus>;
}

/**
 * Keeps the per-stream, per-type sent, ACKed and NACKed versions that the xDS server reports
 * through its hooks, and drops a stream when it closes. Memory grows with open streams times
 * resource types, and nothing else.
 *
 * State of one type, driven by the hooks:
 *   onResponse(v)          -> pending, lastSentVersion = v
 *   onAck(v), v = last sent -> synced, lastAckedVersion = v
 *   onAck(v), v older       -> lastAckedVersion = v, state unchanged
 *   onNack(v), v = last sent -> nacked, lastNack = v, lastAckedVersion unchanged
 *   onNack(v), v older      -> lastNack = v, state unchanged
 * A NACK never moves lastAckedVersion, so the view keeps showing the version the proxy still runs.
 * Hooks for a stream that is not open (closed, or opened before the tracker was attached) are
 * ignored.
 */
export class SyncStatusTracker implements XdsServerHooks, SyncStatusProvider {
  private readonly streams = new Map<number, StreamRecord>();
  private readonly now: () => Date;
  private readonly kindOf: ((node: NodeInfo) => string) | undefined;

  constructor(options: SyncStatusTrackerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.kindOf = options.kindOf;
  }

  onStreamOpen(stream: StreamInfo): void {
    this.streams.set(stream.streamId, { stream, connectedTime: this.timestamp(), types: new Map() });
  }

  onStreamClose(stream: StreamInfo): void {
    this.streams.delete(stream.streamId);
  }

  onResponse(stream: StreamInfo, typeUrl: string, version: string): void {
    const status = this.typeStatus(stream, typeUrl);
    if (!status) return;
    status.state = 'pending';
    status.lastSentVersion = version;
    status.lastSentTime = this.timestamp();
  }

  onAck(stream: StreamInfo, typeUrl: string, version: string): void {
    const status = this.typeStatus(stream, typeUrl);
    if (!status) return;
    status.lastAckedVersion = version;
    status.lastAckedTime = this.timestamp();
    if (status.lastSentVersion === null || status.lastSentVersion === version) {
      status.state = 'synced';
    }
  }

  onNack(stream: StreamInfo, typeUrl: string, rejectedVersion: string, message: string): void {
    const status = this.typeStatus(stream, typeUrl);
    if (!status) return;
    status.lastNack = { version: rejectedVersion, message, time: this.timestamp() };
    if (status.lastSentVersion === null || status.lastSentVersion === rejectedVersion) {
      status.state = 'nacked';
    }
  }

  syncStatus(): ProxySyncStatus[] {
    const ids = [...this.streams.keys()].sort((a, b) => a - b);
    return ids.map((id) => this.describe(this.streams.get(id)!));
  }

  /**
   * Returns the record of one type of an open stream, creating it on first use. Returns undefined
   * for a stream that is not open, so that a hook arriving after close cannot bring it back.
   */
  private typeStatus(stream: StreamInfo, typeUrl: string): TypeSyncStatus | undefined {
    const record = this.streams.get(stream.streamId);
    if (!record) return undefined;
    // The node arrives with the first request, after the open hook, so keep the newest stream info.
    if (stream.node) record.stream = stream;

    let status = record.types.get(typeUrl);
    if (!status) {
      status = {
        typeUrl,
        state: 'pending',
        lastSentVersion: null,
        lastSentTime: null,
        lastAckedVersion: null,
        lastAckedTime: null,
        lastNack: null,
      };
      record.types.set(typeUrl, status);
    }
    return status;
  }

  private describe(record: StreamRecord): ProxySyncStatus {
    const node = record.stream.node;
    const typeUrls = [...record.types.keys()].sort();
    return {
      streamId: record.stream.streamId,
      service: record.stream.service,
      nodeId: node?.id ?? null,
      nodeCluster: node?.cluster ?? null,
      locality: node?.locality ? { ...node.locality } : null,
      kind: node && this.kindOf ? this.kindOf(node) : null,
      connectedTime: record.connectedTime,
      types: typeUrls.map((typeUrl) => copyTypeStatus(record.types.get(typeUrl)!)),
    };
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

function copyTypeStatus(status: TypeSyncStatus): TypeSyncStatus {
  return { ...status, lastNack: status.lastNack ? { ...status.lastNack } : null };
}
