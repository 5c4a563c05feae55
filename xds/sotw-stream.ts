import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SnapshotCache } from './cache';
import type { StreamInfo, XdsServerHooks } from './hooks';
import { ALL_TYPE_URLS, TYPE_URL, type TypeUrl } from './protos';
import type { EncodedResource, Snapshot } from './snapshot';
import { encodeDiscoveryResponse, nodeInfoOf, type DiscoveryRequest } from './wire';

/** Types whose empty `resource_names` mean "every resource" (a wildcard subscription). */
const WILDCARD_TYPES: ReadonlySet<string> = new Set([TYPE_URL.listener, TYPE_URL.cluster]);

/** What one stream knows of one resource type. */
interface TypeState {
  readonly typeUrl: TypeUrl;
  wildcard: boolean;
  names: Set<string>;
  /** The client's `version_info` on its latest request: the last version it accepted. */
  clientVersion: string;
  sentVersion?: string;
  sentNonce?: string;
  /** The subscription the last response answered, to tell when names changed. */
  sentNamesKey?: string;
  /** True from a response until the request that ACKs or NACKs it: at most one is outstanding. */
  awaitingReply: boolean;
}

export type SotwCall = grpc.ServerDuplexStream<DiscoveryRequest, Buffer>;

/** Status a stream reports to callers that end it with an error. */
export class StreamError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One state-of-the-world xDS stream: ADS when `fixedTypeUrl` is undefined, otherwise one of the
 * per-type services. Implements the protocol rules of the xDS specification: versions and nonces
 * per type, ACK and NACK told apart by `error_detail`, stale nonces ignored, and a response sent
 * only when what the client subscribes to changed. A NACKed version is never sent again; the next
 * different version is.
 */
export class SotwStream {
  private readonly types = new Map<TypeUrl, TypeState>();
  private snapshot?: Snapshot;
  private cancelWatch?: () => void;
  private nonceCounter = 0;
  private closed = false;
  private log: Logger;

  constructor(
    private readonly call: SotwCall,
    readonly info: StreamInfo,
    private readonly fixedTypeUrl: TypeUrl | undefined,
    private readonly cache: SnapshotCache,
    private readonly hooks: readonly XdsServerHooks[],
    logger: Logger,
  ) {
    this.log = logger.child({ streamId: info.streamId, service: info.service });
  }

  /** Handles one request; throws StreamError for requests that end the stream. */
  handleRequest(request: DiscoveryRequest): void {
    if (this.closed) return;
    const typeUrl = this.resolveTypeUrl(request.type_url);

    if (!this.info.node) {
      if (!request.node) {
        throw new StreamError(3 /* INVALID_ARGUMENT */, 'the first request on a stream must carry node; set node.id in the client bootstrap');
      }
      this.info.node = nodeInfoOf(request.node);
      this.log = this.log.child({ nodeId: this.info.node.id });
      this.cancelWatch = this.cache.watch(this.info.node, (snapshot) => this.onSnapshot(snapshot));
    }

    const state = this.stateOf(typeUrl);
    if (request.response_nonce !== '') {
      if (request.response_nonce !== state.sentNonce) {
        // A reply to a response that a newer one has replaced: the client will reply to the newer
        // one too, so this request changes nothing (xDS protocol, "ACK/NACK and resource type instance version").
        this.log.debug({ typeUrl, nonce: request.response_nonce, expected: state.sentNonce }, 'stale nonce ignored');
        return;
      }
      this.recordReply(state, request);
    } else {
      // An initial request for this type, or a client that starts its subscription again.
      state.awaitingReply = false;
    }

    state.clientVersion = request.version_info;
    this.updateSubscription(state, request.resource_names);
    this.maybeRespond(state);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWatch?.();
    this.cancelWatch = undefined;
  }

  /** What the stream has sent and heard back, per type, for debugging views. */
  typeStates(): ReadonlyMap<TypeUrl, Readonly<TypeState>> {
    return this.types;
  }

  private resolveTypeUrl(requested: string): TypeUrl {
    if (this.fixedTypeUrl) {
      if (requested !== '' && requested !== this.fixedTypeUrl) {
        throw new StreamError(3, `type_url "${requested}" is not served on this stream; use ${this.fixedTypeUrl} or ADS`);
      }
      return this.fixedTypeUrl;
    }
    if (requested === '') {
      throw new StreamError(3, 'type_url is missing; ADS requests must name the resource type');
    }
    if (!(ALL_TYPE_URLS as readonly string[]).includes(requested)) {
      throw new StreamError(3, `type_url "${requested}" is not served; served types: ${ALL_TYPE_URLS.join(', ')}`);
    }
    return requested as TypeUrl;
  }

  private stateOf(typeUrl: TypeUrl): TypeState {
    let state = this.types.get(typeUrl);
    if (!state) {
      state = { typeUrl, wildcard: false, names: new Set(), clientVersion: '', awaitingReply: false };
      this.types.set(typeUrl, state);
    }
    return state;
  }

  private recordReply(state: TypeState, request: DiscoveryRequest): void {
    state.awaitingReply = false;
    const version = state.sentVersion ?? '';
    const error = request.error_detail;
    if (error && (error.message || error.code)) {
      const message = error.message ?? '';
      this.log.warn({ typeUrl: state.typeUrl, version, nonce: request.response_nonce, error: message }, 'nack received');
      for (const hook of this.hooks) hook.onNack?.(this.info, state.typeUrl, version, message);
    } else {
      this.log.debug({ typeUrl: state.typeUrl, version, nonce: request.response_nonce }, 'ack received');
      for (const hook of this.hooks) hook.onAck?.(this.info, state.typeUrl, version);
    }
  }

  private updateSubscription(state: TypeState, names: readonly string[]): void {
    const explicit = names.filter((name) => name !== '*');
    state.wildcard = names.includes('*') || (names.length === 0 && WILDCARD_TYPES.has(state.typeUrl));
    state.names = new Set(explicit);
  }

  private onSnapshot(snapshot: Snapshot): void {
    if (this.closed) return;
    this.snapshot = snapshot;
    // Make-before-break: clusters before their endpoints, listeners before their routes.
    for (const typeUrl of ALL_TYPE_URLS) {
      const state = this.types.get(typeUrl);
      if (state) this.maybeRespond(state);
    }
  }

  private maybeRespond(state: TypeState): void {
    const typeSnapshot = this.snapshot?.types.get(state.typeUrl);
    if (!typeSnapshot || state.awaitingReply) return;

    const namesKey = state.wildcard ? `*${[...state.names].sort().join(',')}` : [...state.names].sort().join(',');
    if (state.sentVersion === typeSnapshot.version && state.sentNamesKey === namesKey) return;

    if (state.sentVersion === undefined && state.wildcard && state.clientVersion === typeSnapshot.version) {
      // A reconnecting client that already holds this version needs nothing. Versions are content
      // hashes, so this holds across restarts and replicas.
      state.sentVersion = typeSnapshot.version;
      state.sentNamesKey = namesKey;
      return;
    }

    const resources: EncodedResource[] = [];
    if (state.wildcard) {
      resources.push(...typeSnapshot.resources.values());
    } else {
      for (const name of state.names) {
        const resource = typeSnapshot.resources.get(name);
        if (resource) resources.push(resource);
      }
    }
    this.send(state, typeSnapshot.version, namesKey, resources);
  }

  private send(state: TypeState, version: string, namesKey: string, resources: EncodedResource[]): void {
    const nonce = String(++this.nonceCounter);
    const bytes = encodeDiscoveryResponse(state.typeUrl, version, nonce, resources);
    state.sentVersion = version;
    state.sentNonce = nonce;
    state.sentNamesKey = namesKey;
    state.awaitingReply = true;
    this.call.write(bytes);
    this.log.debug({ typeUrl: state.typeUrl, version, nonce, resources: resources.length }, 'response sent');
    for (const hook of this.hooks) hook.onResponse?.(this.info, state.typeUrl, version, resources.length, bytes.length);
  }
}
