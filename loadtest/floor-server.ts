import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

import {
  ALL_TYPE_URLS,
  messageType,
  TYPE_URL,
  XDS_SERVICES,
  type EncodedResource,
  type NodeInfo,
  type Snapshot,
  type SnapshotCache,
  type TypeUrl,
} from '../xds';

/** Field number of `nonce` in DiscoveryResponse and DeltaDiscoveryResponse. */
const NONCE_FIELD = 5;
const WILDCARD_TYPES: ReadonlySet<string> = new Set([TYPE_URL.cluster, TYPE_URL.listener]);

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobufjs messages are untyped */
type Decoded = any;

/** Encodes `nonce` as a protobuf string field, to append to a response encoded without one. */
function nonceField(nonce: string): Buffer {
  const text = Buffer.from(nonce);
  // Tag: field 5, wire type 2 (length-delimited). Nonces are short, so the length is one byte.
  return Buffer.concat([Buffer.from([(NONCE_FIELD << 3) | 2, text.length]), text]);
}

/** Per-type state of one delta floor stream. */
interface FloorDeltaState {
  started: boolean;
  wildcard: boolean;
  names: Set<string>;
  /** Version of each resource the proxy holds, by name. */
  known: Map<string, string>;
  sentNonce?: string;
  awaitingReply: boolean;
}

const DELTA_ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

/** Per-type state of one state-of-the-world floor stream. */
interface FloorTypeState {
  names: string[];
  namesKey: string;
  wildcard: boolean;
  sentVersion?: string;
  sentNamesKey?: string;
  sentNonce?: string;
  awaitingReply: boolean;
}

/**
 * The floor of the fleet benchmark: a bare @grpc/grpc-js server with just enough of ADS, state of
 * the world and delta, to drive the simulated proxies. It writes the same serialized resources as
 * Meridian, from a snapshot cache that the benchmark fills ahead of time. Each response is
 * encoded once per group, version and subscription, and each stream only appends its nonce, so
 * what it measures is the cost of the transport and of the protocol's round trips.
 *
 * NOTE: it skips everything a real server must do per request: validation of the request,
 * hooks, metrics, logs and NACK handling. A NACK is treated as an ACK.
 */
export class FloorServer {
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private readonly responses = new Map<string, Buffer>();
  private readonly requestType: protobuf.Type;
  private readonly responseType: protobuf.Type;
  private readonly deltaRequestType: protobuf.Type;
  private readonly resourceType: protobuf.Type;
  /** Serialized delta `Resource` messages by type URL, name and version. */
  private readonly deltaResources = new Map<string, Uint8Array>();
  private readonly cancels = new Set<() => void>();

  constructor(private readonly cache: SnapshotCache) {
    this.requestType = messageType('envoy.service.discovery.v3.DiscoveryRequest');
    this.responseType = messageType('envoy.service.discovery.v3.DiscoveryResponse');
    this.server.register(
      XDS_SERVICES[0].path,
      (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.handleStream(call),
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      'bidi',
    );
    this.deltaRequestType = messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
    this.resourceType = messageType('envoy.service.discovery.v3.Resource');
    this.server.register(
      DELTA_ADS_PATH,
      (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.handleDeltaStream(call),
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      'bidi',
    );
  }

  /** Binds to `127.0.0.1` on a free port and returns it. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error) reject(error);
        else resolve(port);
      });
    });
  }

  close(): void {
    for (const cancel of this.cancels) cancel();
    this.server.forceShutdown();
  }

  private handleStream(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const types = new Map<TypeUrl, FloorTypeState>();
    let snapshot: Snapshot | undefined;
    let group = '';
    let cancel: (() => void) | undefined;
    let nonceCounter = 0;

    const respond = (typeUrl: TypeUrl, state: FloorTypeState): void => {
      const typeSnapshot = snapshot?.types.get(typeUrl);
      if (!typeSnapshot || state.awaitingReply) return;
      if (state.sentVersion === typeSnapshot.version && state.sentNamesKey === state.namesKey) return;
      const nonce = String(++nonceCounter);
      const body = this.responseWithoutNonce(group, typeUrl, typeSnapshot, state);
      state.sentVersion = typeSnapshot.version;
      state.sentNamesKey = state.namesKey;
      state.sentNonce = nonce;
      state.awaitingReply = true;
      call.write(Buffer.concat([body, nonceField(nonce)]));
    };

    call.on('data', (bytes: Buffer) => {
      const request = this.requestType.decode(bytes) as Decoded;
      const typeUrl = request.type_url as TypeUrl;
      if (!cancel) {
        const node = nodeOf(request.node);
        group = this.cache.groupOf(node);
        cancel = this.cache.watch(node, (next) => {
          snapshot = next;
          for (const type of ALL_TYPE_URLS) {
            const state = types.get(type);
            if (state) respond(type, state);
          }
        });
        this.cancels.add(cancel);
      }
      let state = types.get(typeUrl);
      if (!state) {
        state = { names: [], namesKey: '', wildcard: false, awaitingReply: false };
        types.set(typeUrl, state);
      }
      if (request.response_nonce === '' || request.response_nonce === state.sentNonce) state.awaitingReply = false;
      else return;
      state.names = request.resource_names ?? [];
      state.namesKey = state.names.join('\n');
      state.wildcard = state.names.length === 0 && WILDCARD_TYPES.has(typeUrl);
      respond(typeUrl, state);
    });
    const end = (): void => {
      if (cancel) {
        cancel();
        this.cancels.delete(cancel);
        cancel = undefined;
      }
    };
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('cancelled', end);
    call.on('error', end);
  }

  private handleDeltaStream(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const types = new Map<TypeUrl, FloorDeltaState>();
    let snapshot: Snapshot | undefined;
    let cancel: (() => void) | undefined;
    let nonceCounter = 0;

    const respond = (typeUrl: TypeUrl, state: FloorDeltaState): void => {
      const typeSnapshot = snapshot?.types.get(typeUrl);
      if (!typeSnapshot || state.awaitingReply) return;
      const writer = protobuf.Writer.create();
      let changes = 0;
      for (const resource of typeSnapshot.resources.values()) {
        if (!state.wildcard && !state.names.has(resource.name)) continue;
        if (state.known.get(resource.name) === resource.version) continue;
        writer.uint32((2 << 3) | 2).bytes(this.deltaResourceOf(resource));
        state.known.set(resource.name, resource.version);
        changes++;
      }
      for (const name of [...state.known.keys()]) {
        if (typeSnapshot.resources.has(name)) continue;
        writer.uint32((6 << 3) | 2).string(name);
        state.known.delete(name);
        changes++;
      }
      if (changes === 0) return;
      const nonce = String(++nonceCounter);
      writer.uint32((1 << 3) | 2).string(typeSnapshot.version);
      writer.uint32((4 << 3) | 2).string(typeUrl);
      writer.uint32((NONCE_FIELD << 3) | 2).string(nonce);
      state.sentNonce = nonce;
      state.awaitingReply = true;
      call.write(Buffer.from(writer.finish()));
    };

    call.on('data', (bytes: Buffer) => {
      const request = this.deltaRequestType.decode(bytes) as Decoded;
      const typeUrl = request.type_url as TypeUrl;
      if (!cancel) {
        cancel = this.cache.watch(nodeOf(request.node), (next) => {
          snapshot = next;
          for (const type of ALL_TYPE_URLS) {
            const state = types.get(type);
            if (state) respond(type, state);
          }
        });
        this.cancels.add(cancel);
      }
      let state = types.get(typeUrl);
      if (!state) {
        state = { started: false, wildcard: false, names: new Set(), known: new Map(), awaitingReply: false };
        types.set(typeUrl, state);
      }
      const subscribe: string[] = request.resource_names_subscribe ?? [];
      if (!state.started) {
        state.started = true;
        state.wildcard = subscribe.length === 0 && WILDCARD_TYPES.has(typeUrl);
      }
      for (const name of subscribe) state.names.add(name);
      for (const name of request.resource_names_unsubscribe ?? []) {
        state.names.delete(name);
        state.known.delete(name);
      }
      if (request.response_nonce && request.response_nonce === state.sentNonce) state.awaitingReply = false;
      respond(typeUrl, state);
    });
    const end = (): void => {
      if (cancel) {
        cancel();
        this.cancels.delete(cancel);
        cancel = undefined;
      }
    };
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('cancelled', end);
    call.on('error', end);
  }

  /** Returns the serialized delta `Resource` of an encoded resource, encoding it on first use. */
  private deltaResourceOf(resource: EncodedResource): Uint8Array {
    const key = `${resource.typeUrl}|${resource.name}|${resource.version}`;
    let bytes = this.deltaResources.get(key);
    if (!bytes) {
      const message = this.resourceType.create({
        name: resource.name,
        version: resource.version,
        resource: { type_url: resource.typeUrl, value: resource.body },
      });
      bytes = this.resourceType.encode(message).finish();
      if (this.deltaResources.size > 100_000) this.deltaResources.clear();
      this.deltaResources.set(key, bytes);
    }
    return bytes;
  }

  /** Returns the response for a group, version and subscription, encoding it on first use. */
  private responseWithoutNonce(
    group: string,
    typeUrl: TypeUrl,
    typeSnapshot: NonNullable<ReturnType<Snapshot['types']['get']>>,
    state: FloorTypeState,
  ): Buffer {
    const key = `${group}|${typeUrl}|${typeSnapshot.version}|${state.wildcard ? '*' : state.namesKey}`;
    let body = this.responses.get(key);
    if (body) return body;
    const resources = state.wildcard
      ? [...typeSnapshot.resources.values()]
      : state.names.map((name) => typeSnapshot.resources.get(name)).filter((resource) => resource !== undefined);
    const message = this.responseType.create({
      version_info: typeSnapshot.version,
      type_url: typeUrl,
      resources: resources.map((resource) => ({ type_url: resource.typeUrl, value: resource.body })),
    });
    body = Buffer.from(this.responseType.encode(message).finish());
    if (this.responses.size > 1000) this.responses.clear();
    this.responses.set(key, body);
    return body;
  }
}

function nodeOf(raw: Decoded): NodeInfo {
  const locality = raw?.locality
    ? { region: raw.locality.region ?? '', zone: raw.locality.zone ?? '', subZone: raw.locality.sub_zone ?? '' }
    : undefined;
  return { id: raw?.id ?? '', cluster: raw?.cluster ?? '', locality, userAgentName: raw?.user_agent_name ?? '', metadata: {} };
}

