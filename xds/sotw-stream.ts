import type { StreamInfo } from './hooks';
import type { TypeUrl } from './protos';
import { versionOfResources, type EncodedResource, type TypeSnapshot } from './snapshot';
import { WILDCARD_TYPES, XdsStream, type KnownResource, type StreamContext, type TypeState, type XdsCall } from './stream-base';
import { appendNonce, encodeDiscoveryResponse, type DiscoveryRequest } from './wire';

/**
 * Responses encoded without their nonce, by type snapshot and subscription. Every stream of a
 * group shares its snapshot objects, so a push encodes each distinct response once and each
 * stream only appends its nonce. Entries go with their snapshot.
 */
const sharedResponses = new WeakMap<TypeSnapshot, Map<string, Buffer>>();

export { StreamError } from './stream-base';

export type SotwCall = XdsCall<DiscoveryRequest>;

/** The state of a type on a state-of-the-world stream. */
interface SotwTypeState extends TypeState {
  /** The client's `version_info` on its latest request: the last version it accepted. */
  clientVersion: string;
  sentVersion?: string;
  /** The subscription of the last response, to detect when names change. */
  sentNamesKey?: string;
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

    state.clientVersion = request.version_info;
    this.updateSubscription(state, request.resource_names);
    this.pump();
  }

  protected respond(base: TypeState, typeSnapshot: TypeSnapshot): void {
    const state = base as SotwTypeState;
    const { view, exact } = this.nextView(state, typeSnapshot);
    const namesKey = state.wildcard ? `*${[...state.names].sort().join(',')}` : [...state.names].sort().join(',');
    const forced = [...state.forced].some((name) => view.has(name));
    if (!forced && state.sentNamesKey === namesKey && sameVersions(view, state.view)) return;

    // An exact view carries the type's snapshot version, so proxies of a group agree on it.
    const version = exact ? typeSnapshot.version : versionOfResources(view.values());
    if (state.sentVersion === undefined && state.clientVersion === version && version !== '') {
      // A reconnecting client that already has this version needs nothing. Versions are content
      // hashes, so this is true across restarts and replicas.
      state.sentVersion = version;
      state.sentNamesKey = namesKey;
      state.view = view;
      state.accepted = view;
      return;
    }

    const resources = exact ? [...view.values()].sort(byName) : [...view.values()];
    state.sentVersion = version;
    state.sentNamesKey = namesKey;
    this.sendResponse(state, view, version, resources, (nonce) => {
      if (!exact) return encodeDiscoveryResponse(state.typeUrl, version, nonce, resources as EncodedResource[]);
      // An exact view is a function of the snapshot and the subscription alone, so other streams
      // of the group send the same bytes but for the nonce.
      let byNames = sharedResponses.get(typeSnapshot);
      if (!byNames) {
        byNames = new Map();
        sharedResponses.set(typeSnapshot, byNames);
      }
      let shared = byNames.get(namesKey);
      if (!shared) {
        shared = encodeDiscoveryResponse(state.typeUrl, version, '', resources as EncodedResource[]);
        byNames.set(namesKey, shared);
      }
      return appendNonce(shared, nonce);
    });
  }

  private updateSubscription(state: SotwTypeState, names: readonly string[]): void {
    state.wildcard = names.includes('*') || (names.length === 0 && WILDCARD_TYPES.has(state.typeUrl));
    state.names = new Set(names.filter((name) => name !== '*'));
  }
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
