import { contentHash, DELTA_XDS_SERVICES, messageNameOf, messageType, referencesOf, TYPE_URL, XDS_SERVICES, type TypeUrl } from '../../xds';
import { RawDeltaStream, RawXdsStream } from './ads-client';

export type Variant = 'sotw' | 'delta';

/** One resource of a response, with the version the client derives for it. */
export interface ObservedResource {
  name: string;
  version: string;
  body: Uint8Array;
}

/** A response of either variant in one shape, so protocol cases run unchanged on both. */
export interface ObservedResponse {
  typeUrl: string;
  /** `version_info` in SotW, `system_version_info` in delta. */
  version: string;
  nonce: string;
  resources: ObservedResource[];
  /** Delta `removed_resources`; always empty in SotW. */
  removed: string[];
}

interface TypeSubscription {
  wildcard: boolean;
  names: string[];
  lastNonce: string;
  acceptedVersion: string;
  /** What the client holds, by name: updated on ACK, kept on NACK. */
  holds: Map<string, ObservedResource>;
}

/** Returns the name of a serialized resource of any served type. */
export function resourceNameOf(typeUrl: string, body: Uint8Array): string {
  const message = messageType(messageNameOf(typeUrl)).decode(body) as unknown as { name?: string; cluster_name?: string };
  return typeUrl === TYPE_URL.clusterLoadAssignment ? (message.cluster_name ?? '') : (message.name ?? '');
}

/**
 * A protocol client that drives a SotW or a delta stream with the same calls and keeps what a
 * well-behaved proxy would hold per type, so tests assert on the proxy's state, not on the wire
 * form of one variant.
 */
export class XdsDriver {
  private stream: RawXdsStream | RawDeltaStream;
  private readonly subscriptions = new Map<string, TypeSubscription>();
  /** Every response applied with `settle`, in arrival order. */
  readonly log: ObservedResponse[] = [];

  constructor(
    readonly variant: Variant,
    private readonly address: string,
    private readonly node: object,
    private readonly service = 'ads',
  ) {
    this.stream = this.openStream();
  }

  /** Starts a subscription: every resource when `names` is undefined, otherwise the names. */
  subscribe(typeUrl: string, names?: string[], options: { nonce?: string; first?: boolean } = {}): void {
    const subscription: TypeSubscription = { wildcard: names === undefined, names: names ?? [], lastNonce: '', acceptedVersion: '', holds: new Map() };
    this.subscriptions.set(typeUrl, subscription);
    this.sendInitial(typeUrl, subscription, options.nonce ?? '');
  }

  /** Changes the explicit names of a subscription. */
  setNames(typeUrl: string, names: string[]): void {
    const subscription = this.subscription(typeUrl);
    const previous = subscription.names;
    subscription.names = names;
    if (this.variant === 'sotw') {
      this.sotw().send({ type_url: typeUrl, resource_names: names, version_info: subscription.acceptedVersion, response_nonce: subscription.lastNonce });
      return;
    }
    const unsubscribe = previous.filter((name) => !names.includes(name));
    for (const name of unsubscribe) subscription.holds.delete(name);
    this.delta().send({
      type_url: typeUrl,
      resource_names_subscribe: names.filter((name) => !previous.includes(name)),
      resource_names_unsubscribe: unsubscribe,
    });
  }

  async next(timeoutMs = 2000): Promise<ObservedResponse> {
    if (this.variant === 'sotw') {
      const response = await this.sotw().next(timeoutMs);
      return {
        typeUrl: response.type_url,
        version: response.version_info,
        nonce: response.nonce,
        resources: response.resources.map((resource) => ({
          name: resourceNameOf(resource.type_url, resource.value),
          version: contentHash(resource.value),
          body: resource.value,
        })),
        removed: [],
      };
    }
    const response = await this.delta().next(timeoutMs);
    return {
      typeUrl: response.type_url,
      version: response.system_version_info,
      nonce: response.nonce,
      resources: response.resources.map((resource) => ({ name: resource.name, version: resource.version, body: resource.resource?.value ?? new Uint8Array() })),
      removed: response.removed_resources,
    };
  }

  /** Accepts a response: the client now holds what it carried. */
  ack(response: ObservedResponse): void {
    const subscription = this.subscription(response.typeUrl);
    subscription.lastNonce = response.nonce;
    subscription.acceptedVersion = response.version;
    if (this.variant === 'sotw') {
      subscription.holds = new Map(response.resources.map((resource) => [resource.name, resource]));
      this.sotw().send({ type_url: response.typeUrl, version_info: response.version, response_nonce: response.nonce, resource_names: this.namesOf(subscription) });
      return;
    }
    for (const resource of response.resources) subscription.holds.set(resource.name, resource);
    for (const name of response.removed) subscription.holds.delete(name);
    this.delta().send({ type_url: response.typeUrl, response_nonce: response.nonce });
  }

  /** Rejects a response with `message`: the client keeps what it held. */
  nack(response: ObservedResponse, message: string): void {
    this.sendReply(response.typeUrl, response.nonce, message);
  }

  /** Sends an ACK, or a NACK with `message`, for an arbitrary nonce. */
  sendReply(typeUrl: string, nonce: string, message?: string): void {
    const subscription = this.subscription(typeUrl);
    subscription.lastNonce = nonce;
    const error_detail = message === undefined ? undefined : { code: 3, message };
    if (this.variant === 'sotw') {
      this.sotw().send({ type_url: typeUrl, version_info: subscription.acceptedVersion, response_nonce: nonce, resource_names: this.namesOf(subscription), error_detail });
    } else {
      this.delta().send({ type_url: typeUrl, response_nonce: nonce, error_detail });
    }
  }

  /**
   * Receives and ACKs responses until none arrives for `quietMs`, checking after each that every
   * cluster a held route names is held too. Returns the responses in arrival order.
   */
  async settle(quietMs = 200): Promise<ObservedResponse[]> {
    const received: ObservedResponse[] = [];
    for (;;) {
      let response: ObservedResponse;
      try {
        response = await this.next(quietMs);
      } catch {
        return received;
      }
      this.ack(response);
      this.checkReferences();
      received.push(response);
      this.log.push(response);
    }
  }

  async collectFor(ms: number): Promise<unknown[]> {
    return this.stream.collectFor(ms);
  }

  ended(): ReturnType<RawXdsStream['ended']> {
    return this.stream.ended();
  }

  /** Names and versions the client holds of a type. */
  holds(typeUrl: string): Record<string, string> {
    const holds = this.subscriptions.get(typeUrl)?.holds ?? new Map<string, ObservedResource>();
    return Object.fromEntries([...holds.values()].map((resource) => [resource.name, resource.version]).sort());
  }

  /**
   * Closes the stream and opens a new one that starts every subscription with what the client
   * holds. `names` replaces the names of the given types on the new stream, as a client that
   * subscribed to more while it was away.
   */
  reconnect(names: Record<string, string[]> = {}): void {
    for (const [typeUrl, list] of Object.entries(names)) this.subscription(typeUrl).names = list;
    this.stream.close();
    this.stream = this.openStream();
    for (const [typeUrl, subscription] of this.subscriptions) this.sendInitial(typeUrl, subscription, '');
  }

  /** Sends raw fields on the stream, for requests the driver does not model. */
  raw(fields: Record<string, unknown>): void {
    (this.stream as RawXdsStream).send(fields as never);
  }

  close(): void {
    this.stream.close();
  }

  /** Throws when a held route names a cluster that the client does not hold. */
  checkReferences(): void {
    const clusters = this.subscriptions.get(TYPE_URL.cluster);
    const routes = this.subscriptions.get(TYPE_URL.routeConfiguration);
    if (!clusters || !routes) return;
    const type = messageType(messageNameOf(TYPE_URL.routeConfiguration));
    for (const route of routes.holds.values()) {
      const plain = type.toObject(type.decode(route.body), { enums: String });
      for (const ref of referencesOf(TYPE_URL.routeConfiguration, plain)) {
        if (!clusters.holds.has(ref.name)) {
          throw new Error(`route ${route.name} names cluster ${ref.name}, which the client does not hold (clusters: ${[...clusters.holds.keys()].join(', ')})`);
        }
      }
    }
  }

  private sendInitial(typeUrl: string, subscription: TypeSubscription, nonce: string): void {
    if (this.variant === 'sotw') {
      this.sotw().send({ node: this.node, type_url: typeUrl, resource_names: this.namesOf(subscription), version_info: subscription.acceptedVersion, response_nonce: nonce });
      return;
    }
    const initial = Object.fromEntries([...subscription.holds.values()].map((resource) => [resource.name, resource.version]));
    this.delta().send({
      node: this.node,
      type_url: typeUrl,
      resource_names_subscribe: subscription.wildcard ? [] : subscription.names,
      initial_resource_versions: initial,
      response_nonce: nonce,
    });
  }

  private namesOf(subscription: TypeSubscription): string[] {
    return subscription.wildcard ? [] : subscription.names;
  }

  private subscription(typeUrl: string): TypeSubscription {
    const subscription = this.subscriptions.get(typeUrl);
    if (!subscription) throw new Error(`no subscription to ${typeUrl}; call subscribe first`);
    return subscription;
  }

  private openStream(): RawXdsStream | RawDeltaStream {
    if (this.variant === 'sotw') {
      const path = XDS_SERVICES.find((entry) => entry.service === this.service)!.path;
      return new RawXdsStream(this.address, path);
    }
    const path = DELTA_XDS_SERVICES.find((entry) => entry.service === `delta-${this.service}`)!.path;
    return new RawDeltaStream(this.address, path);
  }

  private sotw(): RawXdsStream {
    return this.stream as RawXdsStream;
  }

  private delta(): RawDeltaStream {
    return this.stream as RawDeltaStream;
  }
}

export type { TypeUrl };
