import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StreamAdmission } from './admission';
import type { SnapshotCache } from './cache';
import type { StreamInfo, XdsServerHooks } from './hooks';
import { memoized } from './memo';
import { traceRejectedResources, type NackDetail } from './nack';
import { ALL_TYPE_URLS, TYPE_URL, type TypeUrl } from './protos';
import type { ResourceRef } from './references';
import type { EncodedResource, Snapshot, TypeSnapshot } from './snapshot';
import { nodeInfoOf, type RawNode } from './wire';

/** Types whose subscription without names means "every resource" (a wildcard subscription). */

/** Maximum number of unserved types logged per stream, so that a client cannot fill the log. */
const MAX_UNSERVED_TYPES_LOGGED = 8;
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([TYPE_URL.listener, TYPE_URL.cluster]);

/**
 * What a proxy holds of one resource. Resources sent on this stream are the shared encoded ones;
 * resources that a delta client declares in `initial_resource_versions` carry a version alone.
 */
export type KnownResource = Pick<EncodedResource, 'name' | 'version' | 'references'> & { readonly body?: Uint8Array };

/** Resources a proxy holds of one type, by name. */
export type ResourceView = ReadonlyMap<string, KnownResource>;

const EMPTY_VIEW: ResourceView = new Map();

/** The subscribed resources of a type snapshot, and the subscribed names it lacks. */
interface SubscribedView {
  view: ResourceView;
  absent: readonly string[];
}

/**
 * Views by type snapshot and subscription key. When nothing is held back, a view depends on the
 * snapshot and the names alone, so the streams of a group share one map instead of building one
 * each. Entries go with their snapshot.
 */
const sharedViews = new WeakMap<TypeSnapshot, Map<string, SubscribedView>>();

/**
 * Names of a view that a type snapshot lacks, by view and snapshot. Views are never modified once
 * a stream keeps them, and streams of a group share them, so each pair is compared once.
 */
const missingNames = new WeakMap<ResourceView, WeakMap<TypeSnapshot, readonly string[]>>();

/**
 * References of the clusters that changed from one view to the next, by the two views, so the
 * streams of a group that send the same cluster change compare the views once.
 */
const changedReferences = new WeakMap<ResourceView, WeakMap<ResourceView, readonly ResourceRef[]>>();

/** Earlier types (in make-before-break order) that resources of a type snapshot refer to. */
const earlierReferencedTypes = new WeakMap<TypeSnapshot, readonly TypeUrl[]>();

/** The response of one type that waits for its ACK or NACK. */
interface OutstandingResponse {
  nonce: string;
  version: string;
  cause: string;
  /** The resources of the response, in response order, to trace a NACK. */
  resources: readonly KnownResource[];
  /** The proxy's view before the response, which it keeps when it rejects the response. */
  previousView: ResourceView;
  /** The proxy's view once it accepts the response. */
  view: ResourceView;
  /** Version of the type snapshot the response was computed from. */
  typeVersion: string;
}

/**
 * Records that a type's response computation found nothing to send, and the inputs it read, so
 * the stream skips the computation until one of them changes.
 */
interface SettledState {
  /** Version of the type snapshot. Versions are content hashes, so equal versions mean equal resources. */
  version: string;
  /** The type's own `epoch` at the time. */
  epoch: number;
  /**
   * True when the computation read the views of every type, to keep removals that something
   * still refers to. Then any change on the stream unsettles the type.
   */
  readsAllViews: boolean;
  /** Sum of the epochs of the types it read, which are the earlier types its resources refer to or all types. */
  dependencyEpoch: number;
}

/** The state of one resource type on one stream. */
export interface TypeState {
  readonly typeUrl: TypeUrl;
  wildcard: boolean;
  /** Names subscribed explicitly. */
  names: Set<string>;
  /** What the proxy holds once it accepts the responses sent so far. */
  view: ResourceView;
  /** The proxy's view at its last ACK. */
  accepted: ResourceView;
  /** Nonce of the latest response of this type, or undefined before the first. */
  lastNonce?: string;
  /** Set from a response until the request that ACKs or NACKs it: at most one is outstanding. */
  outstanding?: OutstandingResponse;
  /** Rejected versions by resource name: each stays at the proxy's version until it changes. */
  held: Map<string, string>;
  /**
   * Rejected removals, by resource name, with the type snapshot version they were rejected in.
   * The proxy keeps such a resource until the type's snapshot changes.
   */
  heldRemovals: Map<string, string>;
  /** Names to send again even when unchanged, because a resource that refers to them changed. */
  forced: Set<string>;
  /**
   * Counts changes of the type's own inputs: its view, subscription, held and forced names.
   * Another type's response computation that reads this type's view records it.
   */
  epoch: number;
  /** Set when the last response computation sent nothing. It stops counting once an input changes. */
  settled?: SettledState;
  /** Cached `subscriptionKey()`; cleared when the subscription changes. */
  subscriptionKey?: string;
}

export type XdsCall<Request> = grpc.ServerDuplexStream<Request, Buffer>;

/** Status a stream reports to callers that end it with an error. */
export class StreamError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** Shared parts of the server that every stream uses. */
export interface StreamContext {
  cache: SnapshotCache;
  hooks: readonly XdsServerHooks[];
  logger: Logger;
  /** Paces the first response of new streams. Default: no pacing. */
  admission?: StreamAdmission;
}

/**
 * The protocol rules that state-of-the-world and delta streams share: node and type URL checks,
 * admission, ACK and NACK bookkeeping, per-resource hold-back of rejected versions, make-before-
 * break ordering across types, and write backpressure. Subclasses decode requests and encode
 * responses.
 *
 * Ordering on ADS (the xDS protocol's "eventual consistency considerations"): types are visited
 * in the order clusters, endpoint assignments, listeners, routes. A resource that refers to a
 * resource of an earlier type, subscribed but not yet sent, keeps its previous version. A resource
 * that something in the proxy's view still refers to is kept until the referrer has changed. A
 * cluster that changed is followed by its ClusterLoadAssignment even when that did not change,
 * because Envoy waits for it before the new cluster is used.
 *
 * Slow proxies: a response is built from the latest snapshot only when the stream can write, so
 * nothing queues for a stream whose writes are blocked except the fact that it is behind.
 */
export abstract class XdsStream<Request> {
  protected readonly types = new Map<TypeUrl, TypeState>();
  /** Types this stream was asked for and does not serve, each logged once; created on first use. */
  private unservedTypes?: Set<string>;
  protected snapshot?: Snapshot;
  /** The stream's child logger, created on first use, because most streams never log. */
  private streamLogger?: Logger;
  protected group?: string;
  private cancelWatch?: () => void;
  private cancelAdmission?: () => void;
  private nonceCounter = 0;
  /** Sum of every type's `epoch`, so it grows whenever any input of any type changes. */
  private epochTotal = 0;
  /** Set by `nextView` when it read the views of every type. */
  private readAllViews = false;
  private admitted = false;
  private writeBlocked = false;
  private pumping = false;
  protected closed = false;

  constructor(
    protected readonly call: XdsCall<Request>,
    readonly info: StreamInfo,
    /** The one type of a per-type service, or undefined on ADS. */
    protected readonly fixedTypeUrl: TypeUrl | undefined,
    protected readonly context: StreamContext,
  ) {
  }

  /** Returns the stream's logger, with the stream id, the service and, once known, the node id. */
  protected get log(): Logger {
    this.streamLogger ??= this.context.logger.child({ streamId: this.info.streamId, service: this.info.service, ...(this.info.node ? { nodeId: this.info.node.id } : {}) });
    return this.streamLogger;
  }

  /** Handles one request; throws StreamError for requests that end the stream. */
  abstract handleRequest(request: Request): void;

  /** Sends what the proxy lacks of one type, if anything. Called only when no response is outstanding. */
  protected abstract respond(state: TypeState, typeSnapshot: TypeSnapshot): void;

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelAdmission?.();
    this.cancelWatch?.();
    this.cancelWatch = undefined;
  }

  /** Returns the per-type state of the stream, for debugging views. */
  typeStates(): ReadonlyMap<TypeUrl, Readonly<TypeState>> {
    return this.types;
  }

  /** Takes the node from the first request and starts watching the proxy's group once admitted. */
  protected attachNode(rawNode: RawNode | undefined): void {
    if (this.info.node) return;
    if (!rawNode) {
      throw new StreamError(3 /* INVALID_ARGUMENT */, 'the first request on a stream must carry node; set node.id in the client bootstrap');
    }
    const node = nodeInfoOf(rawNode);
    this.info.node = node;
    this.group = this.context.cache.groupOf(node);
    this.info.group = this.group;
    // A logger made before the node was known lacks its id.
    this.streamLogger = undefined;
    const start = (): void => {
      this.cancelAdmission = undefined;
      if (this.closed) return;
      this.admitted = true;
      this.cancelWatch = this.context.cache.watch(node, (snapshot) => this.onSnapshot(snapshot));
    };
    if (this.context.admission) this.cancelAdmission = this.context.admission.admit(start);
    else start();
  }

  /**
   * Returns the type a request names. On ADS, a type that Meridian does not serve, such as an
   * Envoy Secret, returns undefined: its requests are left unanswered, as a server without such
   * resources would, and the stream goes on serving the other types.
   */
  protected resolveTypeUrl(requested: string): TypeUrl | undefined {
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
      this.unservedTypes ??= new Set();
      if (this.unservedTypes.size < MAX_UNSERVED_TYPES_LOGGED && !this.unservedTypes.has(requested)) {
        this.unservedTypes.add(requested);
        this.log.warn({ typeUrl: requested, served: ALL_TYPE_URLS }, 'resource type not served; its requests stay unanswered');
      }
      return undefined;
    }
    return requested as TypeUrl;
  }

  protected stateOf(typeUrl: TypeUrl): TypeState {
    let state = this.types.get(typeUrl);
    if (!state) {
      state = { typeUrl, wildcard: false, names: new Set(), view: EMPTY_VIEW, accepted: EMPTY_VIEW, held: new Map(), heldRemovals: new Map(), forced: new Set(), epoch: 0 };
      this.types.set(typeUrl, state);
    }
    return state;
  }

  /** Records that an input of a type's response computation changed, so the type is computed again. */
  protected touch(state: TypeState): void {
    state.epoch++;
    this.epochTotal++;
  }

  /** Records a change of a type's subscription (`wildcard` or `names`). */
  protected subscriptionChanged(state: TypeState): void {
    state.subscriptionKey = undefined;
    this.touch(state);
  }

  /** Returns a string that identifies the subscription: `*` for a wildcard, then the sorted names. */
  protected subscriptionKey(state: TypeState): string {
    state.subscriptionKey ??= `${state.wildcard ? '*' : ''}${[...state.names].sort().join(',')}`;
    return state.subscriptionKey;
  }

  /**
   * Records the ACK or NACK of the outstanding response of a type. A NACK is traced to the
   * resources its message names; those are held at the proxy's version, and the rest of the
   * change goes out with the next response. When it names none, every resource and removal of the
   * response is held, so the rejected versions are never sent in a loop. A held removal is tried
   * again with the next change of the type.
   */
  protected recordReply(state: TypeState, errorDetail: { code?: number; message?: string } | undefined): void {
    const response = state.outstanding;
    if (!response) return;
    state.outstanding = undefined;

    if (!errorDetail || (!errorDetail.message && !errorDetail.code)) {
      state.accepted = state.view;
      this.log.debug({ typeUrl: state.typeUrl, version: response.version, nonce: response.nonce }, 'ack received');
      for (const hook of this.context.hooks) hook.onAck?.(this.info, state.typeUrl, response.version);
      return;
    }

    const message = errorDetail.message ?? '';
    const versions = new Map(response.resources.map((resource) => [resource.name, resource.version]));
    const removed = [...response.previousView.keys()].filter((name) => !response.view.has(name));
    // Removals go after the resources, so that a "resource index" in the message still points at its resource.
    const sentNames = [...response.resources.map((resource) => resource.name), ...removed];
    const traced = traceRejectedResources(message, sentNames);
    const rejectedNames = traced.length > 0 ? traced : sentNames;
    const rejected = rejectedNames.map((name) => ({ name, version: versions.get(name) ?? '' }));
    for (const name of rejectedNames) {
      if (versions.has(name)) state.held.set(name, versions.get(name)!);
      else state.heldRemovals.set(name, response.typeVersion);
    }
    // The proxy keeps what it had before the rejected response.
    state.view = response.previousView;
    this.touch(state);

    const detail: NackDetail = { group: this.group ?? '', cause: response.cause, rejected, traced: traced.length > 0 };
    this.log.warn(
      { typeUrl: state.typeUrl, version: response.version, nonce: response.nonce, error: message, held: rejectedNames.slice(0, 20) },
      'nack received',
    );
    for (const hook of this.context.hooks) hook.onNack?.(this.info, state.typeUrl, response.version, message, detail);
  }

  /** Sends, type by type in make-before-break order, whatever each type's proxy view lacks. */
  protected pump(): void {
    if (this.closed || !this.admitted || this.writeBlocked || !this.snapshot || this.pumping) return;
    this.pumping = true;
    try {
      // A later type's response can free a removal of an earlier type (a route that stopped
      // naming a cluster), so visit the types again while a pass sent something.
      for (let pass = 0; pass < ALL_TYPE_URLS.length; pass++) {
        let sent = false;
        for (const typeUrl of ALL_TYPE_URLS) {
          const state = this.types.get(typeUrl);
          const typeSnapshot = this.snapshot.types.get(typeUrl);
          if (!state || !typeSnapshot || state.outstanding || this.writeBlocked) continue;
          if (this.isSettled(state, typeSnapshot)) continue;
          const before = state.lastNonce;
          this.readAllViews = false;
          this.respond(state, typeSnapshot);
          if (state.lastNonce !== before) sent = true;
          else this.settle(state, typeSnapshot);
        }
        if (!sent) break;
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Computes the view the proxy should hold next: the subscribed resources of the snapshot,
   * except held versions, resources whose references are not on the proxy yet, and removals
   * of resources that the proxy's view still refers to. `exact` is true when nothing was held
   * back or kept. An exact view is shared by the streams of a group: the snapshot's own map for a
   * wildcard, a map per subscription otherwise.
   */
  protected nextView(state: TypeState, typeSnapshot: TypeSnapshot): { view: ResourceView; exact: boolean } {
    const ads = this.fixedTypeUrl === undefined;
    for (const [name, version] of state.held) {
      if (typeSnapshot.resources.get(name)?.version !== version) {
        state.held.delete(name);
        this.touch(state);
      }
    }
    for (const [name, typeVersion] of state.heldRemovals) {
      if (typeSnapshot.version !== typeVersion || typeSnapshot.resources.has(name)) {
        state.heldRemovals.delete(name);
        this.touch(state);
      }
    }

    let next: ResourceView;
    let exact = true;
    if (state.held.size === 0 && (!ads || earlierTypesOf(typeSnapshot).every((typeUrl) => this.holdsSnapshotView(typeUrl)))) {
      // Nothing can be held back, so the view is a function of the snapshot and the subscription.
      next = this.sharedView(state, typeSnapshot);
    } else {
      const built = new Map<string, KnownResource>();
      const candidates = state.wildcard ? typeSnapshot.resources.keys() : state.names.keys();
      for (const name of candidates) {
        const resource = typeSnapshot.resources.get(name);
        if (!resource) continue;
        if (state.held.has(name) || (ads && !this.referencesReady(resource))) {
          const previous = state.view.get(name);
          if (previous) built.set(name, previous);
          exact = false;
          continue;
        }
        built.set(name, resource);
      }
      next = exact ? this.sharedView(state, typeSnapshot) : built;
    }

    // Removals that the proxy must not apply yet: rejected ones, and those something still refers to.
    let retained: Map<string, KnownResource> | undefined;
    let referenced: Set<string> | undefined;
    for (const name of missingFrom(state.view, typeSnapshot)) {
      const previous = state.view.get(name)!;
      if (next.has(name) || !this.subscribed(state, name)) continue;
      if (state.heldRemovals.has(name)) {
        retained ??= new Map(next);
        retained.set(name, previous);
        continue;
      }
      if (!ads) continue;
      this.readAllViews = true;
      referenced ??= this.referencedKeys();
      if (referenced.has(refKey(state.typeUrl, name))) {
        retained ??= new Map(next);
        retained.set(name, previous);
      }
    }
    return retained ? { view: retained, exact: false } : { view: next, exact };
  }

  /** Returns the subscribed resources of a snapshot as a map shared by every stream with the same subscription. */
  private sharedView(state: TypeState, typeSnapshot: TypeSnapshot): ResourceView {
    if (state.wildcard) return typeSnapshot.resources;
    return this.subscribedView(state, typeSnapshot).view;
  }

  /** Returns the subscribed names that a snapshot lacks, shared like the views. */
  protected absentNames(state: TypeState, typeSnapshot: TypeSnapshot): readonly string[] {
    if (state.names.size === 0) return [];
    return this.subscribedView(state, typeSnapshot).absent;
  }

  private subscribedView(state: TypeState, typeSnapshot: TypeSnapshot): SubscribedView {
    const bySubscription = memoized(sharedViews, typeSnapshot, () => new Map<string, SubscribedView>());
    return memoized(bySubscription, this.subscriptionKey(state), () => {
      const view = new Map<string, KnownResource>();
      const absent: string[] = [];
      for (const name of state.names) {
        const resource = typeSnapshot.resources.get(name);
        if (!resource) absent.push(name);
        else if (!state.wildcard) view.set(name, resource);
      }
      // A wildcard view is the snapshot's own map, and explicit names only add to `absent`.
      return { view: state.wildcard ? typeSnapshot.resources : view, absent };
    });
  }

  /**
   * True when the proxy's view of a type is the subscribed part of the current snapshot, or when
   * the proxy does not subscribe to the type. A snapshot's references all resolve within it, so
   * every resource of the snapshot that refers to such a type can be sent.
   */
  private holdsSnapshotView(typeUrl: TypeUrl): boolean {
    const target = this.types.get(typeUrl);
    if (!target) return true;
    const typeSnapshot = this.snapshot?.types.get(typeUrl);
    if (!typeSnapshot) return false;
    if (target.wildcard) return target.view === typeSnapshot.resources;
    return target.view === sharedViews.get(typeSnapshot)?.get(this.subscriptionKey(target))?.view;
  }

  /** True when the type's last computation sent nothing and none of the inputs it read changed since. */
  private isSettled(state: TypeState, typeSnapshot: TypeSnapshot): boolean {
    const settled = state.settled;
    if (!settled || settled.version !== typeSnapshot.version || settled.epoch !== state.epoch) return false;
    return settled.dependencyEpoch === (settled.readsAllViews ? this.epochTotal : this.dependencyEpoch(typeSnapshot));
  }

  private settle(state: TypeState, typeSnapshot: TypeSnapshot): void {
    const readsAllViews = this.readAllViews;
    state.settled = {
      version: typeSnapshot.version,
      epoch: state.epoch,
      readsAllViews,
      dependencyEpoch: readsAllViews ? this.epochTotal : this.dependencyEpoch(typeSnapshot),
    };
  }

  /** Sums the epochs of the types whose views decide whether resources of `typeSnapshot` can be sent. */
  private dependencyEpoch(typeSnapshot: TypeSnapshot): number {
    if (this.fixedTypeUrl !== undefined) return 0;
    let sum = 0;
    for (const typeUrl of earlierTypesOf(typeSnapshot)) sum += this.types.get(typeUrl)?.epoch ?? 0;
    return sum;
  }

  protected subscribed(state: TypeState, name: string): boolean {
    return state.wildcard || state.names.has(name);
  }

  /** Records a response as outstanding, makes `view` the proxy's view, and writes the response. */
  protected sendResponse(
    state: TypeState,
    view: ResourceView,
    version: string,
    resources: readonly KnownResource[],
    encode: (nonce: string) => Buffer,
  ): void {
    const nonce = `${this.info.streamId}-${++this.nonceCounter}`;
    const bytes = encode(nonce);
    state.outstanding = {
      nonce,
      version,
      cause: this.snapshot?.cause ?? '',
      resources,
      previousView: state.view,
      view,
      typeVersion: this.snapshot?.types.get(state.typeUrl)?.version ?? '',
    };
    if (this.fixedTypeUrl === undefined) this.forceDependents(state, view);
    state.view = view;
    state.lastNonce = nonce;
    if (state.forced.size > 0) {
      for (const resource of resources) state.forced.delete(resource.name);
    }
    this.touch(state);

    if (!this.call.write(bytes)) {
      // The peer reads slower than the server writes. Nothing more is built for this stream
      // until the transport drains; then responses are built from the snapshot of that moment.
      this.writeBlocked = true;
      this.call.once('drain', () => {
        this.writeBlocked = false;
        this.pump();
      });
    }
    this.log.debug({ typeUrl: state.typeUrl, version, nonce, resources: resources.length }, 'response sent');
    for (const hook of this.context.hooks) hook.onResponse?.(this.info, state.typeUrl, version, resources.length, bytes.length);
  }

  private onSnapshot(snapshot: Snapshot): void {
    if (this.closed) return;
    this.snapshot = snapshot;
    this.pump();
  }

  /** True when every resource of an earlier type that `resource` names is on the proxy or not subscribed. */
  private referencesReady(resource: EncodedResource): boolean {
    const order = ALL_TYPE_URLS.indexOf(resource.typeUrl);
    for (const ref of resource.references ?? []) {
      if (ALL_TYPE_URLS.indexOf(ref.typeUrl) >= order) continue;
      const target = this.types.get(ref.typeUrl);
      if (target && this.subscribed(target, ref.name) && !target.view.has(ref.name)) return false;
    }
    return true;
  }

  /** Keys (`type\0name`) of every resource that a resource in the proxy's view refers to. */
  private referencedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const state of this.types.values()) {
      for (const resource of state.view.values()) {
        for (const ref of resource.references ?? []) keys.add(refKey(ref.typeUrl, ref.name));
      }
    }
    return keys;
  }

  /**
   * After a cluster changes, marks its ClusterLoadAssignment to be sent again: Envoy keeps a
   * changed cluster warming until it receives the assignment, even an unchanged one.
   */
  private forceDependents(state: TypeState, view: ResourceView): void {
    if (state.typeUrl !== TYPE_URL.cluster) return;
    const byNext = memoized(changedReferences, state.view, () => new WeakMap<ResourceView, readonly ResourceRef[]>());
    const refs = memoized(byNext, view, () => {
      const found: ResourceRef[] = [];
      for (const [name, resource] of view) {
        const previous = state.view.get(name);
        if (!previous || previous.version === resource.version) continue;
        found.push(...(resource.references ?? []));
      }
      return found;
    });
    for (const ref of refs) this.forceRef(state.typeUrl, ref);
  }

  private forceRef(from: TypeUrl, ref: ResourceRef): void {
    if (ALL_TYPE_URLS.indexOf(ref.typeUrl) <= ALL_TYPE_URLS.indexOf(from)) return;
    const target = this.types.get(ref.typeUrl);
    if (!target || !this.subscribed(target, ref.name) || target.forced.has(ref.name)) return;
    target.forced.add(ref.name);
    this.touch(target);
  }
}

/** Returns the names of `view` that `typeSnapshot` lacks. */
function missingFrom(view: ResourceView, typeSnapshot: TypeSnapshot): readonly string[] {
  if (view.size === 0) return [];
  const bySnapshot = memoized(missingNames, view, () => new WeakMap<TypeSnapshot, readonly string[]>());
  return memoized(bySnapshot, typeSnapshot, () => [...view.keys()].filter((name) => !typeSnapshot.resources.has(name)));
}

/** Returns the types before `typeSnapshot`'s own, in make-before-break order, that its resources refer to. */
function earlierTypesOf(typeSnapshot: TypeSnapshot): readonly TypeUrl[] {
  return memoized(earlierReferencedTypes, typeSnapshot, () => {
    const found = new Set<TypeUrl>();
    for (const resource of typeSnapshot.resources.values()) {
      const order = ALL_TYPE_URLS.indexOf(resource.typeUrl);
      for (const ref of resource.references ?? []) {
        if (ALL_TYPE_URLS.indexOf(ref.typeUrl) < order) found.add(ref.typeUrl);
      }
    }
    return [...found];
  });
}

function refKey(typeUrl: string, name: string): string {
  return `${typeUrl}\0${name}`;
}
