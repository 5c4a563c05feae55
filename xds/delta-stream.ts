import type { StreamInfo } from './hooks';
import { memoized } from './memo';
import type { TypeUrl } from './protos';
import type { EncodedResource, TypeSnapshot } from './snapshot';
import { WILDCARD_TYPES, XdsStream, type KnownResource, type ResourceView, type StreamContext, type TypeState, type XdsCall } from './stream-base';
import { appendNonce, encodeDeltaDiscoveryResponse, type DeltaDiscoveryRequest } from './wire';

export type DeltaCall = XdsCall<DeltaDiscoveryRequest>;

/** A delta response from one view to another, encoded once without its nonce. */
interface SharedChange {
  resources: readonly EncodedResource[];
  removed: readonly string[];
  bytes: Buffer;
}

/**
 * Delta responses by the view a proxy holds, the view it is sent, and the names sent again
 * although unchanged. Views are never modified once a stream keeps them, and the streams of a
 * group share the views of their snapshots, so such streams share one encoded response. Entries
 * go with their views.
 */
const sharedChanges = new WeakMap<ResourceView, WeakMap<ResourceView, Map<string, SharedChange>>>();

/** The state of a type on a delta stream. */
interface DeltaTypeState extends TypeState {
  /** True once the first request of the type arrived, which alone can start a wildcard subscription. */
  started: boolean;
  /** Subscribed names that the snapshot lacks and that were reported in `removed_resources`. */
  reportedAbsent: Set<string>;
}

/**
 * One delta (incremental) xDS stream: delta ADS when `fixedTypeUrl` is undefined, otherwise one
 * of the per-type delta services. Responses carry only resources whose version the client lacks,
 * each with its content version, and the names it must drop in `removed_resources`.
 *
 * Subscriptions follow the xDS protocol's delta rules: the first request of a wildcard-capable
 * type (Listener, Cluster) with no names subscribes to everything; `*` subscribes or unsubscribes
 * the wildcard explicitly; a name that does not exist yet is reported as removed and sent once it
 * appears. `initial_resource_versions` on a reconnect tells what the client holds, so it is sent
 * only what changed and told what was deleted while it was away.
 */
export class DeltaStream extends XdsStream<DeltaDiscoveryRequest> {
  constructor(call: DeltaCall, info: StreamInfo, fixedTypeUrl: TypeUrl | undefined, context: StreamContext) {
    super(call, info, fixedTypeUrl, context);
  }

  handleRequest(request: DeltaDiscoveryRequest): void {
    if (this.closed) return;
    const typeUrl = this.resolveTypeUrl(request.type_url);
    this.attachNode(request.node);
    if (typeUrl === undefined) return;
    const state = this.stateOf(typeUrl) as DeltaTypeState;
    state.reportedAbsent ??= new Set();

    if (request.response_nonce !== '') {
      if (state.outstanding && request.response_nonce === state.outstanding.nonce) {
        this.recordReply(state, request.error_detail);
      } else {
        // Subscription changes still apply; only the ACK or NACK of a replaced response is void.
        this.log.debug({ typeUrl, nonce: request.response_nonce, expected: state.lastNonce }, 'stale nonce ignored');
      }
    }

    this.updateSubscription(state, request);
    this.pump();
  }

  protected respond(base: TypeState, typeSnapshot: TypeSnapshot): void {
    const state = base as DeltaTypeState;
    const { view } = this.nextView(state, typeSnapshot);

    const absent = this.absentNames(state, typeSnapshot).filter((name) => !state.reportedAbsent.has(name));
    if (absent.length === 0) {
      // Nothing stream-specific to report, so streams with the same views share the response.
      const change = sharedChangeOf(state.view, view, forcedKeyOf(state, view), state.typeUrl, typeSnapshot.version);
      if (change.resources.length === 0 && change.removed.length === 0) return;
      if (state.reportedAbsent.size > 0) {
        for (const resource of change.resources) state.reportedAbsent.delete(resource.name);
      }
      this.sendResponse(state, view, typeSnapshot.version, change.resources, (nonce) => appendNonce(change.bytes, nonce));
      return;
    }

    const { resources: changed, removed } = diffViews(state.view, view, state.forced);
    const removedNames = [...new Set([...removed, ...absent])];
    for (const name of absent) state.reportedAbsent.add(name);
    for (const resource of changed) state.reportedAbsent.delete(resource.name);
    if (changed.length === 0 && removedNames.length === 0) return;
    this.sendResponse(state, view, typeSnapshot.version, changed, (nonce) =>
      encodeDeltaDiscoveryResponse(state.typeUrl, typeSnapshot.version, nonce, changed, removedNames),
    );
  }

  private updateSubscription(state: DeltaTypeState, request: DeltaDiscoveryRequest): void {
    if (!state.started || request.resource_names_subscribe.length > 0 || request.resource_names_unsubscribe.length > 0) {
      this.subscriptionChanged(state);
    }
    if (!state.started) {
      state.started = true;
      const initial = Object.entries(request.initial_resource_versions ?? {});
      if (initial.length > 0) {
        state.view = new Map<string, KnownResource>(initial.map(([name, version]) => [name, { name, version }]));
        state.accepted = state.view;
      }
      if (request.resource_names_subscribe.length === 0 && WILDCARD_TYPES.has(state.typeUrl)) state.wildcard = true;
    }

    for (const name of request.resource_names_subscribe) {
      if (name === '*') state.wildcard = true;
      else state.names.add(name);
    }
    if (request.resource_names_unsubscribe.length === 0) return;

    const view = new Map(state.view);
    for (const name of request.resource_names_unsubscribe) {
      if (name === '*') state.wildcard = false;
      else state.names.delete(name);
      state.reportedAbsent.delete(name);
    }
    // The client forgets what it no longer subscribes to, so no removal is sent for it.
    for (const name of view.keys()) {
      if (!this.subscribed(state, name)) view.delete(name);
    }
    state.view = view;
  }
}

/** Returns the resources of `next` that `previous` lacks or that are forced, and the names that `next` drops. */
function diffViews(previous: ResourceView, next: ResourceView, forced: ReadonlySet<string>): { resources: EncodedResource[]; removed: string[] } {
  const resources: EncodedResource[] = [];
  for (const [name, resource] of next) {
    if (previous.get(name)?.version !== resource.version || forced.has(name)) {
      // Entries taken from the previous view are unchanged, so every changed one has a body.
      resources.push(resource as EncodedResource);
    }
  }
  const removed: string[] = [];
  for (const name of previous.keys()) {
    if (!next.has(name)) removed.push(name);
  }
  return { resources, removed };
}

/**
 * Returns a key of the forced names that `view` carries, in the order they were forced. Streams
 * of a group force the same names in the same order, so they share the key. Another order only
 * costs a second encoding.
 */
function forcedKeyOf(state: TypeState, view: ResourceView): string {
  if (state.forced.size === 0) return '';
  const names: string[] = [];
  for (const name of state.forced) {
    if (view.has(name)) names.push(name);
  }
  return names.join('\n');
}

/** Returns the shared delta response from `previous` to `next`, encoding it on first use. */
function sharedChangeOf(previous: ResourceView, next: ResourceView, forcedKey: string, typeUrl: TypeUrl, systemVersion: string): SharedChange {
  const byNext = memoized(sharedChanges, previous, () => new WeakMap<ResourceView, Map<string, SharedChange>>());
  const byForced = memoized(byNext, next, () => new Map<string, SharedChange>());
  return memoized(byForced, forcedKey, () => {
    const forced = new Set(forcedKey === '' ? [] : forcedKey.split('\n'));
    const { resources, removed } = diffViews(previous, next, forced);
    const bytes = resources.length === 0 && removed.length === 0 ? Buffer.alloc(0) : encodeDeltaDiscoveryResponse(typeUrl, systemVersion, '', resources, removed);
    return { resources, removed, bytes };
  });
}
