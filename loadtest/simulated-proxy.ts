import * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import type { Locality } from '../discovery';
import { ALL_TYPE_URLS, messageType, TYPE_URL, XDS_SERVICES, type TypeUrl } from '../xds';
import { encodeNameFields, encodeRequest, readDeltaResponse, readResponse, type ResponseEnvelope } from './proxy-wire';
import { HeldResources } from './held-resources';
import { FactsCache, type AggregateFacts, type ResourceFacts } from './resource-facts';

/** Wall-clock time in milliseconds with sub-millisecond precision, comparable across processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The state a fleet scenario waits for: each field set must hold for a proxy to count. */
export interface ProxyTarget {
  /** The proxy has ACKed endpoints with this change marker or a later one. */
  minEndpointMarker?: number;
  /** This many of the proxy's clusters carry HTTP/2 upstream options. */
  http2Clusters?: number;
  /** Every virtual host of the proxy's routes has this hostname generation or a later one. */
  minRouteGeneration?: number;
}

/** State of the world or delta (incremental) xDS, both over ADS. */
export type XdsVariant = 'sotw' | 'delta';

export interface SimulatedProxyOptions {
  address: string;
  variant: XdsVariant;
  nodeId: string;
  locality: Locality;
  /** Shared by every proxy of the process. */
  facts: FactsCache;
  /** Called when the proxy ACKs endpoints with a higher change marker than `previous`. */
  onMarker?: (previous: number, marker: number, ackedAt: number) => void;
  /** Called when the proxy has ACKed every type and subscribed to every dependency. */
  onSynced?: (proxy: SimulatedProxy) => void;
}

/** Per-type state of one proxy: its subscription and the last response it ACKed. */
interface TypeState {
  names: string[];
  namesKey: string;
  /** SotW only: the `resource_names` fields of `names`, encoded once. */
  nameFields?: Buffer;
  ackedVersion: string;
  ackedNonce: string;
  /** Subscription of the last ACKed response; differs from `namesKey` while a request is in flight. */
  ackedNamesKey?: string;
  acked?: AggregateFacts;
  /** Delta only: the resources the proxy has ACKed and not seen removed. */
  held?: HeldResources;
  /** The dependency list the dependent type's subscription was last checked against. */
  checkedDependencies?: string[];
}

/** Counters of one proxy, summed by the fleet worker. */
export interface ProxyCounters {
  responses: number;
  responseBytes: number;
  acks: number;
  /** Streams that ended without `close()` and were opened again. */
  reconnects: number;
  /** Bytes of responses per type URL. */
  bytesByType: Record<string, number>;
}

const ADS_PATH = XDS_SERVICES[0].path;
const DELTA_ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';
const DEPENDENT_TYPE: Partial<Record<TypeUrl, TypeUrl>> = {
  [TYPE_URL.cluster]: TYPE_URL.clusterLoadAssignment,
  [TYPE_URL.listener]: TYPE_URL.routeConfiguration,
};

let nodeType: protobuf.Type | undefined;
let deltaRequestType: protobuf.Type | undefined;

/**
 * One simulated Envoy on its own HTTP/2 connection with one ADS stream, state of the world or
 * delta. Like Envoy, it subscribes to every Cluster and Listener, then to the
 * ClusterLoadAssignments and RouteConfigurations that those name, and ACKs each response with its
 * nonce (and, for SotW, its version) as soon as it has read it.
 *
 * NOTE: it ACKs every response. It never NACKs, and it does not warm clusters before ACKing, so
 * it replies faster than an Envoy that applies each update.
 */
export class SimulatedProxy {
  private readonly client: grpc.Client;
  private call?: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly types = new Map<TypeUrl, TypeState>();
  private target?: ProxyTarget;
  /** When the proxy first held the target, in wall-clock milliseconds. */
  reachedTargetAt?: number;
  /** When the proxy first held every type, in wall-clock milliseconds. */
  syncedAt?: number;
  connectedAt?: number;
  /** The status the last stream ended with, when one ended. */
  endStatus?: grpc.StatusObject;
  readonly counters: ProxyCounters = { responses: 0, responseBytes: 0, acks: 0, reconnects: 0, bytesByType: {} };
  private closed = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(private readonly options: SimulatedProxyOptions) {
    nodeType ??= messageType('envoy.config.core.v3.Node');
    deltaRequestType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
    // A local subchannel pool gives every proxy its own connection, as separate Envoys have.
    this.client = new grpc.Client(options.address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Opens the ADS stream and subscribes to every Cluster and Listener. */
  start(): void {
    this.connectedAt ??= wallClockMs();
    this.types.clear();
    const delta = this.options.variant === 'delta';
    const path = delta ? DELTA_ADS_PATH : ADS_PATH;
    const call = this.client.makeBidiStreamRequest(path, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes);
    this.call = call;
    call.on('data', (bytes: Buffer) => (delta ? this.onDeltaResponse(bytes) : this.onResponse(bytes)));
    call.on('status', (status: grpc.StatusObject) => {
      this.endStatus = status;
      if (!this.closed) this.reconnect();
    });
    call.on('error', () => {
      // The status event carries the code and details.
    });
    this.subscribe(TYPE_URL.cluster, [], true);
    this.subscribe(TYPE_URL.listener, [], false);
  }

  /** Sets the state to wait for; clears `reachedTargetAt` and checks the current state at once. */
  setTarget(target: ProxyTarget | undefined): void {
    this.target = target;
    this.reachedTargetAt = undefined;
    if (target) this.checkTarget(wallClockMs());
  }

  /** Returns the highest change marker among the endpoints the proxy has ACKed. */
  endpointMarker(): number {
    return this.types.get(TYPE_URL.clusterLoadAssignment)?.acked?.marker ?? 0;
  }

  /**
   * Opens a new stream after a jittered, exponentially growing delay, as Envoy does when its xDS
   * stream fails. The new stream subscribes from scratch, so the proxy is sent everything again.
   */
  private reconnect(): void {
    const attempt = Math.min(this.counters.reconnects, 5);
    this.counters.reconnects++;
    const delayMs = 250 * 2 ** attempt * (0.5 + Math.random());
    this.reconnectTimer = setTimeout(() => this.start(), delayMs);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.call?.end();
    this.call?.cancel();
    this.client.close();
  }

  private subscribe(typeUrl: TypeUrl, names: string[], withNode: boolean): void {
    let state = this.types.get(typeUrl);
    if (!state) {
      state = { names: [], namesKey: '', ackedVersion: '', ackedNonce: '' };
      this.types.set(typeUrl, state);
    }
    const previous = new Set(state.names);
    state.names = names;
    state.namesKey = names.join('\n');
    if (this.options.variant === 'sotw') {
      state.nameFields = encodeNameFields(names);
      this.send(typeUrl, state, withNode);
      return;
    }
    const current = new Set(names);
    this.sendDelta(typeUrl, {
      resource_names_subscribe: names.filter((name) => !previous.has(name)),
      resource_names_unsubscribe: [...previous].filter((name) => !current.has(name)),
      ...(withNode ? { node: this.nodeMessage() } : {}),
    });
  }

  private nodeMessage(): object {
    const { region, zone, subZone } = this.options.locality;
    return { id: this.options.nodeId, cluster: 'bench', user_agent_name: 'envoy', locality: { region, zone, sub_zone: subZone } };
  }

  private sendDelta(typeUrl: TypeUrl, fields: Record<string, unknown>): void {
    const request = { type_url: typeUrl, ...fields };
    this.call?.write(Buffer.from(deltaRequestType!.encode(deltaRequestType!.fromObject(request)).finish()));
  }

  private send(typeUrl: TypeUrl, state: TypeState, withNode = false): void {
    const node = withNode ? nodeType!.encode(nodeType!.fromObject(this.nodeMessage())).finish() : undefined;
    this.call?.write(encodeRequest(typeUrl, state.ackedVersion, state.ackedNonce, state.nameFields!, node));
  }

  private onResponse(bytes: Buffer): void {
    const response = readResponse(bytes);
    const typeUrl = response.typeUrl as TypeUrl;
    const state = this.types.get(typeUrl);
    if (!state) return;
    this.countResponse(typeUrl, bytes.length);

    const key = `${typeUrl}|${response.versionInfo}|${response.resourceCount}|${state.namesKey.length}`;
    const facts = this.aggregate(typeUrl, key, response);
    state.ackedVersion = response.versionInfo;
    state.ackedNonce = response.nonce;
    state.ackedNamesKey = state.namesKey;
    const previousMarker = state.acked?.marker ?? 0;
    state.acked = facts;
    this.subscribeDependencies(typeUrl, facts);
    this.send(typeUrl, state);
    this.afterAck(typeUrl, facts, previousMarker);
  }

  /** Like Envoy: subscribes to what new Clusters and Listeners name, before it ACKs them. */
  private subscribeDependencies(typeUrl: TypeUrl, facts: AggregateFacts): void {
    const dependentType = DEPENDENT_TYPE[typeUrl];
    const state = this.types.get(typeUrl);
    // Aggregates are shared and rebuilt only when they change, so the same list needs no check.
    if (!dependentType || !state || state.checkedDependencies === facts.dependencies) return;
    state.checkedDependencies = facts.dependencies;
    const names = [...new Set(facts.dependencies)].sort();
    const dependent = this.types.get(dependentType);
    if (!dependent || dependent.namesKey !== names.join('\n')) this.subscribe(dependentType, names, false);
  }

  /**
   * Handles a delta response: applies its resources and removals to what the proxy holds,
   * subscribes to new dependencies, and ACKs it with its nonce.
   */
  private onDeltaResponse(bytes: Buffer): void {
    const response = readDeltaResponse(bytes);
    const typeUrl = response.typeUrl as TypeUrl;
    const state = this.types.get(typeUrl);
    if (!state) return;
    this.countResponse(typeUrl, bytes.length);

    state.held ??= new HeldResources();
    for (const resource of response.resources) {
      if (!resource.anyRange) continue;
      state.held.set(resource.name, this.options.facts.getVersion(typeUrl, resource.name, resource.version, () => response.bodyOf(resource)));
    }
    for (const name of response.removed) state.held.delete(name);

    const facts = state.held.facts();
    state.ackedNonce = response.nonce;
    state.ackedNamesKey = state.namesKey;
    const previousMarker = state.acked?.marker ?? 0;
    state.acked = facts;
    this.subscribeDependencies(typeUrl, facts);
    this.sendDelta(typeUrl, { response_nonce: response.nonce });
    this.afterAck(typeUrl, facts, previousMarker);
  }

  private countResponse(typeUrl: string, bytes: number): void {
    this.counters.responses++;
    this.counters.responseBytes += bytes;
    this.counters.bytesByType[typeUrl] = (this.counters.bytesByType[typeUrl] ?? 0) + bytes;
  }

  private afterAck(typeUrl: TypeUrl, facts: AggregateFacts, previousMarker: number): void {
    this.counters.acks++;
    const now = wallClockMs();
    if (typeUrl === TYPE_URL.clusterLoadAssignment && facts.marker > previousMarker) this.options.onMarker?.(previousMarker, facts.marker, now);
    if (this.syncedAt === undefined && this.isSynced()) {
      this.syncedAt = now;
      this.options.onSynced?.(this);
    }
    this.checkTarget(now);
  }

  private aggregate(typeUrl: string, key: string, response: ResponseEnvelope): AggregateFacts {
    const cached = aggregateCache.get(key);
    if (cached) return cached;
    const aggregate: AggregateFacts = { dependencies: [], http2: 0, marker: 0, generation: Number.POSITIVE_INFINITY };
    for (let index = 0; index < response.resourceCount; index++) {
      mergeFacts(aggregate, this.options.facts.get(`${key}|${index}`, typeUrl, response.resourceAt(index)));
    }
    if (!Number.isFinite(aggregate.generation)) aggregate.generation = 0;
    if (aggregateCache.size > 10_000) aggregateCache.clear();
    aggregateCache.set(key, aggregate);
    return aggregate;
  }

  /** True when every type is ACKed for the names the proxy subscribes to now. */
  isSynced(): boolean {
    for (const typeUrl of ALL_TYPE_URLS) {
      const state = this.types.get(typeUrl);
      if (!state?.acked || state.ackedNamesKey !== state.namesKey) return false;
    }
    return true;
  }

  private checkTarget(now: number): void {
    const target = this.target;
    if (!target || this.reachedTargetAt !== undefined || !this.isSynced()) return;
    const facts = (typeUrl: TypeUrl) => this.types.get(typeUrl)!.acked!;
    if (target.minEndpointMarker !== undefined && facts(TYPE_URL.clusterLoadAssignment).marker < target.minEndpointMarker) return;
    if (target.http2Clusters !== undefined && facts(TYPE_URL.cluster).http2 !== target.http2Clusters) return;
    if (target.minRouteGeneration !== undefined && facts(TYPE_URL.routeConfiguration).generation < target.minRouteGeneration) return;
    this.reachedTargetAt = now;
  }
}

function mergeFacts(aggregate: AggregateFacts, facts: ResourceFacts): void {
  aggregate.dependencies.push(...facts.dependencies);
  aggregate.http2 += facts.http2;
  aggregate.marker = Math.max(aggregate.marker, facts.marker);
  aggregate.generation = Math.min(aggregate.generation, facts.generation);
}

/** Facts of whole responses, shared by the proxies of one process. */
const aggregateCache = new Map<string, AggregateFacts>();
