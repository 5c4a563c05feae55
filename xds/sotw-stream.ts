import type { StreamInfo } from './hooks';
import { memoized } from './memo';
import type { TypeUrl } from './protos';
import { contentHash, versionOfResources, type EncodedResource, type TypeSnapshot } from './snapshot';
import { WILDCARD_TYPES, XdsStream, type KnownResource, type ResourceView, type StreamContext, type TypeState, type XdsCall } from './stream-base';
import { appendNonce, encodeDiscoveryResponse, type DiscoveryRequest } from './wire';

/** A response that the streams of a group share: its resources in order, encoded without a nonce. */
interface SharedResponse {
  version: string;
  resources: readonly EncodedResource[];
  bytes: Buffer;
}

/**
 * Responses encoded without their nonce, by type snapshot and subscription. Every stream of a
 * group shares its snapshot objects, so a push encodes each distinct response once and each
 * stream only appends its nonce. Entries go with their snapshot.
 */
const sharedResponses = new WeakMap<TypeSnapshot, Map<string, SharedResponse>>();

export { StreamError } from './stream-base';

export type SotwCall = XdsCall<DiscoveryRequest>;

/** The state of a type on a state-of-the-world stream. */
interface SotwTypeState extends TypeState {
  /** The client's `version_info` on its latest request: the last version it accepted. */
  clientVersion: string;
  sentVersion?: string;
  /** The subscription of the last response, to detect when names change. */
  sentNamesKey?: string;
  /** `contentHash` of the encoded `resource_names` of the latest request, to skip an unchanged subscription without decoding it. */
  requestedNamesDigest?: string;
}

/**
 * One state-of-the-world xDS stream: ADS when `fixedTypeUrl` is undefined, otherwise one of the
 * per-type services. Every response carries the whole subscribed set of its type, so a resource
 * left out of a wildcard response is deleted on the proxy.
 */
export class SotwStream extends XdsStream<DiscoveryRequest> {
  constructor(call: SotwCall, info: StreamInfo, fixedTypeUrl: TypeUrl | undefined, context: StreamContext) {
    super(call, info, fixedTypeUrl, context);
  }

  handleRequest(request: DiscoveryRequest): void {
    if (this.closed) return;
    const typeUrl = this.resolveTypeUrl(request.type_url);
    this.attachNode(request.node);
    if (typeUrl === undefined) return;
    const state = this.stateOf(typeUrl) as SotwTypeState;
    state.clientVersion ??= '';

    if (request.response_nonce !== '' && state.lastNonce !== undefined) {
      if (request.response_nonce !== state.lastNonce) {
        // A reply to a response that a newer one has replaced: the client replies to the newer
        // one too, so this request changes nothing (xDS protocol, "ACK/NACK and resource type
        // instance version").
        this.log.debug({ typeUrl, nonce: request.response_nonce, expected: state.lastNonce }, 'stale nonce ignored');
        return;
      }
      this.recordReply(state, request.error_detail);
    } else if (request.response_nonce === '') {
      // An initial request for this type, or a client that starts its subscription again.
      state.outstanding = undefined;
    }
    // A nonce from before this stream sent anything (an earlier stream's) counts as an initial request.

    // The client's version matters only until the first response, for a client that reconnects.
    if (state.sentVersion === undefined && state.clientVersion !== request.version_info) this.touch(state);
    state.clientVersion = request.version_info;
    this.updateSubscription(state, request);
    this.pump();
  }

  protected respond(base: TypeState, typeSnapshot: TypeSnapshot): void {
    const state = base as SotwTypeState;
    const { view, exact } = this.nextView(state, typeSnapshot);
    const namesKey = this.subscriptionKey(state);
    const forced = state.forced.size > 0 && [...state.forced].some((name) => view.has(name));
    if (!forced && state.sentNamesKey === namesKey && sameVersions(view, state.view)) return;

    // An exact view is a function of the snapshot and the subscription alone, so other streams
    // of the group share its version and its encoding, and send the same bytes but for the nonce.
    const shared = exact ? sharedResponseOf(typeSnapshot, namesKey, state.typeUrl, state.wildcard, view) : undefined;
    const version = shared?.version ?? versionOfResources(view.values());
    if (state.sentVersion === undefined && state.clientVersion === version && version !== '') {
      // A reconnecting client that already has this version needs nothing. Versions are content
      // hashes, so this is true across restarts and replicas.
      state.sentVersion = version;
      state.sentNamesKey = namesKey;
      state.view = view;
      state.accepted = view;
      this.touch(state);
      return;
    }

    state.sentVersion = version;
    state.sentNamesKey = namesKey;
    if (shared !== undefined) {
      this.sendResponse(state, view, version, shared.resources, (nonce) => appendNonce(shared.bytes, nonce));
      return;
    }
    const resources = [...view.values()];
    this.sendResponse(state, view, version, resources, (nonce) => encodeDiscoveryResponse(state.typeUrl, version, nonce, resources as EncodedResource[]));
  }

  private updateSubscription(state: SotwTypeState, request: DiscoveryRequest): void {
    // An ACK repeats the names of the request before it, so equal bytes skip decoding them.
    const encoded = request.resourceNamesBytes;
    if (encoded !== undefined) {
      // A digest, not a copy: an idle stream keeps 16 characters instead of every name it requested.
      const digest = contentHash(encoded);
      if (digest === state.requestedNamesDigest) return;
      state.requestedNamesDigest = digest;
    }
    const names = request.resource_names;
    const wildcard = names.includes('*') || (names.length === 0 && WILDCARD_TYPES.has(state.typeUrl));
    const explicit = new Set(names.filter((name) => name !== '*'));
    if (wildcard === state.wildcard && explicit.size === state.names.size && [...explicit].every((name) => state.names.has(name))) return;
    state.wildcard = wildcard;
    state.names = explicit;
    this.subscriptionChanged(state);
  }
}

/**
 * Returns the shared response of an exact view, encoding it on first use. A wildcard view carries
 * the type's snapshot version. A view of explicit names carries the version of its own resources,
 * so that a proxy that reconnects with other names than it held is sent what it lacks.
 */
function sharedResponseOf(typeSnapshot: TypeSnapshot, namesKey: string, typeUrl: TypeUrl, wildcard: boolean, view: ResourceView): SharedResponse {
  const byNames = memoized(sharedResponses, typeSnapshot, () => new Map<string, SharedResponse>());
  return memoized(byNames, namesKey, () => {
    // Entries of an exact view are the snapshot's own encoded resources.
    const resources = ([...view.values()] as EncodedResource[]).sort(byName);
    const version = wildcard ? typeSnapshot.version : versionOfResources(resources);
    return { version, resources, bytes: encodeDiscoveryResponse(typeUrl, version, '', resources) };
  });
}

function byName(a: KnownResource, b: KnownResource): number {
  if (a.name === b.name) return 0;
  return a.name < b.name ? -1 : 1;
}

/** True when two views hold the same names at the same versions. */
export function sameVersions(a: ReadonlyMap<string, KnownResource>, b: ReadonlyMap<string, KnownResource>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [name, resource] of a) {
    if (b.get(name)?.version !== resource.version) return false;
  }
  return true;
}
