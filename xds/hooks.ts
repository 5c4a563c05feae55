import type { NackDetail } from './nack';
import type { NodeInfo } from './node';

/** Identifies one xDS stream for observers. */
export interface StreamInfo {
  /** Process-unique stream number. */
  streamId: number;
  /** `ads`, or the per-type service name such as `clusters`. */
  service: string;
  /** Known after the first request; undefined before. */
  node?: NodeInfo;
  /** The snapshot cache's group of the node, known with the node. */
  group?: string;
}

/**
 * Lifecycle callbacks of the xDS server. Metrics, tracing and the admin sync-status view implement
 * them. Callbacks run synchronously on the push path, so they must be cheap and must not throw.
 */
export interface XdsServerHooks {
  onStreamOpen?(stream: StreamInfo): void;
  onStreamClose?(stream: StreamInfo): void;
  /** A request that acknowledged the last response of its type. */
  onAck?(stream: StreamInfo, typeUrl: string, version: string): void;
  /**
   * A request that rejected a response: `error_detail` was set. `detail` lists the resources the
   * rejection was traced to and the snapshot cause of the rejected response.
   */
  onNack?(stream: StreamInfo, typeUrl: string, rejectedVersion: string, message: string, detail?: NackDetail): void;
  onResponse?(stream: StreamInfo, typeUrl: string, version: string, resourceCount: number, bytes: number): void;
}
