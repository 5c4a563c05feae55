import type * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import type { Locality } from '../discovery';
import type { NodeInfo } from './node';
import { messageType } from './protos';
import type { EncodedResource } from './snapshot';

/** A decoded DiscoveryRequest, with proto field names. */
export interface DiscoveryRequest {
  version_info: string;
  node?: RawNode;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail?: { code?: number; message?: string };
  /**
   * The encoded `resource_names` fields, byte for byte, so that a stream can tell an unchanged
   * subscription without decoding the names. Set by `decodeDiscoveryRequest` only.
   */
  resourceNamesBytes?: Buffer;
}

/** The `node` of a request as decoded, with proto field names. */
export interface RawNode {
  id?: string;
  cluster?: string;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  user_agent_name?: string;
  metadata?: { fields?: Record<string, RawValue> };
}

interface RawValue {
  null_value?: number;
  number_value?: number;
  string_value?: string;
  bool_value?: boolean;
  struct_value?: { fields?: Record<string, RawValue> };
  list_value?: { values?: RawValue[] };
}

let requestType: protobuf.Type | undefined;
let responseType: protobuf.Type | undefined;

function discoveryRequestType(): protobuf.Type {
  requestType ??= messageType('envoy.service.discovery.v3.DiscoveryRequest');
  return requestType;
}

function discoveryResponseType(): protobuf.Type {
  responseType ??= messageType('envoy.service.discovery.v3.DiscoveryResponse');
  return responseType;
}

let nodeType: protobuf.Type | undefined;

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobufjs messages are untyped */
type DecodedMessage = any;

/**
 * Converts the `node` and `error_detail` of a decoded request into plain objects. The decoders
 * read the other fields directly, which skips a full `toObject` conversion, with a copy of every
 * list, on every ACK of every stream.
 */
function requestExtras(message: DecodedMessage): { node?: RawNode; error_detail?: { code?: number; message?: string } } {
  const extras: { node?: RawNode; error_detail?: { code?: number; message?: string } } = {};
  if (message.node) {
    nodeType ??= messageType('envoy.config.core.v3.Node');
    extras.node = nodeType.toObject(message.node, { defaults: true, arrays: true, enums: String, longs: Number }) as RawNode;
  }
  if (message.error_detail) extras.error_detail = { code: message.error_detail.code, message: message.error_detail.message };
  return extras;
}

let statusType: protobuf.Type | undefined;

/**
 * Decodes a DiscoveryRequest, filling absent fields with their proto defaults. `resource_names`
 * is decoded when first read: a state-of-the-world client repeats its names on every ACK, and a
 * stream compares `resourceNamesBytes` instead. Throws on malformed input, as protobufjs does.
 */
export function decodeDiscoveryRequest(bytes: Buffer): DiscoveryRequest {
  nodeType ??= messageType('envoy.config.core.v3.Node');
  statusType ??= messageType('google.rpc.Status');
  const reader = protobuf.Reader.create(bytes);
  let versionInfo = '';
  let typeUrl = '';
  let responseNonce = '';
  let node: DecodedMessage;
  let status: DecodedMessage;
  // Start and end offsets of each resource_names field, tag included.
  const nameFields: number[] = [];
  while (reader.pos < reader.len) {
    const fieldStart = reader.pos;
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        versionInfo = reader.string();
        break;
      case 2:
        node = nodeType.decode(reader, reader.uint32());
        break;
      case 3:
        reader.skipType(tag & 7);
        nameFields.push(fieldStart, reader.pos);
        break;
      case 4:
        typeUrl = reader.string();
        break;
      case 5:
        responseNonce = reader.string();
        break;
      case 6:
        status = statusType.decode(reader, reader.uint32());
        break;
      default:
        reader.skipType(tag & 7);
    }
  }

  let names: string[] | undefined;
  return {
    version_info: versionInfo,
    type_url: typeUrl,
    response_nonce: responseNonce,
    get resource_names(): string[] {
      names ??= decodeNameFields(bytes, nameFields);
      return names;
    },
    resourceNamesBytes: bytesOfFields(bytes, nameFields),
    ...requestExtras({ node, error_detail: status }),
  };
}

/** Returns the bytes of the given fields: a view when they are adjacent, as encoders write them, else a copy. */
function bytesOfFields(bytes: Buffer, offsets: readonly number[]): Buffer {
  if (offsets.length === 0) return Buffer.alloc(0);
  let adjacent = true;
  for (let i = 2; i < offsets.length; i += 2) {
    if (offsets[i] !== offsets[i - 1]) adjacent = false;
  }
  if (adjacent) return bytes.subarray(offsets[0], offsets[offsets.length - 1]);
  const parts: Buffer[] = [];
  for (let i = 0; i < offsets.length; i += 2) parts.push(bytes.subarray(offsets[i], offsets[i + 1]));
  return Buffer.concat(parts);
}

function decodeNameFields(bytes: Buffer, offsets: readonly number[]): string[] {
  const names: string[] = [];
  for (let i = 0; i < offsets.length; i += 2) {
    const reader = protobuf.Reader.create(bytes.subarray(offsets[i], offsets[i + 1]));
    reader.uint32();
    names.push(reader.string());
  }
  return names;
}

/** Encodes a DiscoveryRequest given with proto field names; for clients and tests. */
export function encodeDiscoveryRequest(request: Partial<DiscoveryRequest> & { node?: object }): Buffer {
  const type = discoveryRequestType();
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

/** A decoded DiscoveryResponse whose resources are left as bytes; for clients and tests. */
export interface DiscoveryResponse {
  version_info: string;
  resources: { type_url: string; value: Uint8Array }[];
  type_url: string;
  nonce: string;
}

export function decodeDiscoveryResponse(bytes: Buffer): DiscoveryResponse {
  const type = discoveryResponseType();
  return type.toObject(type.decode(bytes), { defaults: true, arrays: true }) as DiscoveryResponse;
}

/**
 * Encodes a DiscoveryResponse around resources that are already serialized, so each resource is
 * encoded once however many streams it is sent on.
 */
export function encodeDiscoveryResponse(
  typeUrl: string,
  version: string,
  nonce: string,
  resources: Iterable<EncodedResource>,
): Buffer {
  const type = discoveryResponseType();
  const message = type.create({
    version_info: version,
    type_url: typeUrl,
    // An empty nonce is left out, so that appendNonce can add the stream's own.
    ...(nonce === '' ? {} : { nonce }),
    resources: [...resources].map((resource) => ({ type_url: resource.typeUrl, value: resource.body })),
  });
  return Buffer.from(type.encode(message).finish());
}

/** Field number of `nonce` in DiscoveryResponse and DeltaDiscoveryResponse (envoy/service/discovery/v3/discovery.proto). */
const NONCE_FIELD = 5;

/**
 * Appends a `nonce` field to a DiscoveryResponse or DeltaDiscoveryResponse encoded without one. Protobuf decoders accept
 * fields in any order, so a response that many streams share is encoded once and each stream
 * adds only its own nonce.
 */
export function appendNonce(encodedWithoutNonce: Uint8Array, nonce: string): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32((NONCE_FIELD << 3) | 2).string(nonce);
  const field = writer.finish();
  return Buffer.concat([encodedWithoutNonce, field]);
}

function plainValue(value: RawValue): unknown {
  if (value.string_value !== undefined) return value.string_value;
  if (value.number_value !== undefined) return value.number_value;
  if (value.bool_value !== undefined) return value.bool_value;
  if (value.struct_value !== undefined) return plainStruct(value.struct_value);
  if (value.list_value !== undefined) return (value.list_value.values ?? []).map(plainValue);
  return null;
}

function plainStruct(struct: { fields?: Record<string, RawValue> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct.fields ?? {})) out[key] = plainValue(value);
  return out;
}

/** Converts the `node` of a request into what the server keeps of it. */
export function nodeInfoOf(node: RawNode | undefined): NodeInfo {
  const raw = node ?? {};
  let locality: Locality | undefined;
  if (raw.locality && (raw.locality.region || raw.locality.zone || raw.locality.sub_zone)) {
    locality = { region: raw.locality.region ?? '', zone: raw.locality.zone ?? '', subZone: raw.locality.sub_zone ?? '' };
  }
  return {
    id: raw.id ?? '',
    cluster: raw.cluster ?? '',
    locality,
    userAgentName: raw.user_agent_name ?? '',
    metadata: raw.metadata ? plainStruct(raw.metadata) : {},
  };
}

/** Paths and type URLs of the xDS services Meridian serves. `typeUrl` is unset for ADS. */
export const XDS_SERVICES = [
  { service: 'ads', path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources' },
  {
    service: 'clusters',
    path: '/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters',
    typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  },
  {
    service: 'endpoints',
    path: '/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints',
    typeUrl: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  },
  {
    service: 'listeners',
    path: '/envoy.service.listener.v3.ListenerDiscoveryService/StreamListeners',
    typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  },
  {
    service: 'routes',
    path: '/envoy.service.route.v3.RouteDiscoveryService/StreamRoutes',
    typeUrl: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  },
] as const;

/** Paths of the delta (incremental) xDS services. `typeUrl` is unset for delta ADS. */
export const DELTA_XDS_SERVICES = [
  { service: 'delta-ads', path: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources' },
  {
    service: 'delta-clusters',
    path: '/envoy.service.cluster.v3.ClusterDiscoveryService/DeltaClusters',
    typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  },
  {
    service: 'delta-endpoints',
    path: '/envoy.service.endpoint.v3.EndpointDiscoveryService/DeltaEndpoints',
    typeUrl: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  },
  {
    service: 'delta-listeners',
    path: '/envoy.service.listener.v3.ListenerDiscoveryService/DeltaListeners',
    typeUrl: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  },
  {
    service: 'delta-routes',
    path: '/envoy.service.route.v3.RouteDiscoveryService/DeltaRoutes',
    typeUrl: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  },
] as const;

/**
 * A bidirectional-streaming method definition whose requests are decoded DiscoveryRequests and
 * whose responses are written as already-encoded bytes.
 */
export function sotwMethodDefinition(path: string): grpc.MethodDefinition<DiscoveryRequest, Buffer> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: (request: DiscoveryRequest) => encodeDiscoveryRequest(request),
    requestDeserialize: decodeDiscoveryRequest,
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
  };
}

/** A decoded DeltaDiscoveryRequest, with proto field names. */
export interface DeltaDiscoveryRequest {
  node?: RawNode;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  /** Resources the client already holds, by name, when it (re)connects. */
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail?: { code?: number; message?: string };
}

/** A decoded DeltaDiscoveryResponse whose resources are left as bytes; for clients and tests. */
export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: { name: string; version: string; resource?: { type_url: string; value: Uint8Array } }[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

let deltaRequestType: protobuf.Type | undefined;
let deltaResponseType: protobuf.Type | undefined;

function deltaDiscoveryRequestType(): protobuf.Type {
  deltaRequestType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
  return deltaRequestType;
}

function deltaDiscoveryResponseType(): protobuf.Type {
  deltaResponseType ??= messageType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
  return deltaResponseType;
}

/** Decodes a DeltaDiscoveryRequest, filling absent fields with their proto defaults. */
export function decodeDeltaDiscoveryRequest(bytes: Buffer): DeltaDiscoveryRequest {
  const message = deltaDiscoveryRequestType().decode(bytes) as DecodedMessage;
  return {
    type_url: message.type_url,
    resource_names_subscribe: message.resource_names_subscribe,
    resource_names_unsubscribe: message.resource_names_unsubscribe,
    initial_resource_versions: message.initial_resource_versions,
    response_nonce: message.response_nonce,
    ...requestExtras(message),
  };
}

/** Encodes a DeltaDiscoveryRequest given with proto field names; for clients and tests. */
export function encodeDeltaDiscoveryRequest(request: Partial<DeltaDiscoveryRequest> & { node?: object }): Buffer {
  const type = deltaDiscoveryRequestType();
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

export function decodeDeltaDiscoveryResponse(bytes: Buffer): DeltaDiscoveryResponse {
  const type = deltaDiscoveryResponseType();
  return type.toObject(type.decode(bytes), { defaults: true, arrays: true }) as DeltaDiscoveryResponse;
}

/**
 * Encodes a DeltaDiscoveryResponse around resources that are already serialized: each resource
 * travels with its own content version, and removed names in `removed_resources`.
 */
export function encodeDeltaDiscoveryResponse(
  typeUrl: string,
  systemVersion: string,
  nonce: string,
  resources: Iterable<EncodedResource>,
  removed: readonly string[],
): Buffer {
  const type = deltaDiscoveryResponseType();
  const message = type.create({
    system_version_info: systemVersion,
    type_url: typeUrl,
    // An empty nonce is left out, so that appendNonce can add the stream's own.
    ...(nonce === '' ? {} : { nonce }),
    removed_resources: [...removed],
    resources: [...resources].map((resource) => ({
      name: resource.name,
      version: resource.version,
      resource: { type_url: resource.typeUrl, value: resource.body },
    })),
  });
  return Buffer.from(type.encode(message).finish());
}

/** A bidirectional-streaming method definition for the delta services, with pre-encoded responses. */
export function deltaMethodDefinition(path: string): grpc.MethodDefinition<DeltaDiscoveryRequest, Buffer> {
  return {
    path,
    requestStream: true,
    responseStream: true,
    requestSerialize: (request: DeltaDiscoveryRequest) => encodeDeltaDiscoveryRequest(request),
    requestDeserialize: decodeDeltaDiscoveryRequest,
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
  };
}
