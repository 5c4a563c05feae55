import * as protobuf from 'protobufjs';

/**
 * The wire format as the simulated proxies read and write it. A simulated proxy needs only the
 * envelope of a response: its version, type, nonce, and where each resource's bytes lie. Reading
 * just that, rather than decoding every `Any` with protobufjs, keeps the simulator's CPU time small
 * next to the server's on a shared machine. Field numbers are those of
 * envoy/service/discovery/v3/discovery.proto and google/protobuf/any.proto.
 */

/** Wire type of length-delimited fields: strings, bytes and messages. */
const LENGTH_DELIMITED = 2;

/** The envelope of a DiscoveryResponse, with where each resource lies in it. */
export interface ResponseEnvelope {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  resourceCount: number;
  /** Returns the `value` of the `index`th resource's `Any`: the serialized resource message. */
  resourceAt(index: number): Uint8Array;
}

/** One resource of a DeltaDiscoveryResponse. */
export interface DeltaResource {
  name: string;
  version: string;
  /** Offsets of the resource's `Any` in the response, or undefined when the `resource` field is absent. */
  anyRange?: [number, number];
}

/** The envelope of a DeltaDiscoveryResponse. */
export interface DeltaEnvelope {
  typeUrl: string;
  nonce: string;
  resources: DeltaResource[];
  removed: string[];
  /** Returns the serialized message of a resource that has an `anyRange`. */
  bodyOf(resource: DeltaResource): Uint8Array;
}

/** Reads a DiscoveryResponse: `version_info` (1), `resources` (2), `type_url` (4), `nonce` (5). */
export function readResponse(bytes: Uint8Array): ResponseEnvelope {
  const reader = protobuf.Reader.create(bytes);
  // Start and end offsets of each resource's Any. Most responses repeat one the proxy process has
  // read before, so the resources are sliced only when asked for.
  const ranges: number[] = [];
  const envelope: ResponseEnvelope = {
    versionInfo: '',
    typeUrl: '',
    nonce: '',
    resourceCount: 0,
    resourceAt: (index) => valueOfAny(bytes.subarray(ranges[2 * index], ranges[2 * index + 1])),
  };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        envelope.versionInfo = reader.string();
        break;
      case 2: {
        const length = reader.uint32();
        ranges.push(reader.pos, reader.pos + length);
        reader.skip(length);
        envelope.resourceCount++;
        break;
      }
      case 4:
        envelope.typeUrl = reader.string();
        break;
      case 5:
        envelope.nonce = reader.string();
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return envelope;
}

/**
 * Reads a DeltaDiscoveryResponse: `resources` (2), `type_url` (4), `nonce` (5) and
 * `removed_resources` (6). Each Resource is read for `version` (1), `resource` (2) and `name` (3).
 */
export function readDeltaResponse(bytes: Uint8Array): DeltaEnvelope {
  const reader = protobuf.Reader.create(bytes);
  const envelope: DeltaEnvelope = {
    typeUrl: '',
    nonce: '',
    resources: [],
    removed: [],
    bodyOf: (resource) => valueOfAny(bytes.subarray(resource.anyRange![0], resource.anyRange![1])),
  };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 2: {
        // Read the Resource in place: a response of a thousand resources would otherwise make a
        // thousand readers.
        const end = reader.uint32() + reader.pos;
        envelope.resources.push(readDeltaResource(reader, end));
        break;
      }
      case 4:
        envelope.typeUrl = reader.string();
        break;
      case 5:
        envelope.nonce = reader.string();
        break;
      case 6:
        envelope.removed.push(reader.string());
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return envelope;
}

/** Reads one Resource that ends at offset `end`, leaving `reader` there. Its message is sliced only when asked for. */
function readDeltaResource(reader: protobuf.Reader, end: number): DeltaResource {
  const resource: DeltaResource = { name: '', version: '' };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag >>> 3) {
      case 1:
        resource.version = reader.string();
        break;
      case 2: {
        const length = reader.uint32();
        resource.anyRange = [reader.pos, reader.pos + length];
        reader.skip(length);
        break;
      }
      case 3:
        resource.name = reader.string();
        break;
      default:
        reader.skipType(tag & 7);
    }
  }
  return resource;
}

/** Returns the `value` (2) of a serialized `Any`, without reading its `type_url` (1). */
function valueOfAny(bytes: Uint8Array): Uint8Array {
  const reader = protobuf.Reader.create(bytes);
  let value: Uint8Array = new Uint8Array(0);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2 && (tag & 7) === LENGTH_DELIMITED) value = reader.bytes();
    else reader.skipType(tag & 7);
  }
  return value;
}

/**
 * Encodes the `resource_names` (3) fields of a DiscoveryRequest once, so that an ACK that repeats
 * the names costs a copy rather than an encoding.
 */
export function encodeNameFields(names: readonly string[]): Buffer {
  const writer = protobuf.Writer.create();
  for (const name of names) writer.uint32((3 << 3) | LENGTH_DELIMITED).string(name);
  return Buffer.from(writer.finish());
}

/**
 * Encodes a DiscoveryRequest from its scalar fields, the pre-encoded names, and an optional
 * pre-encoded `node` (2): `version_info` (1), `type_url` (4), `response_nonce` (5).
 */
export function encodeRequest(typeUrl: string, versionInfo: string, nonce: string, nameFields: Buffer, node?: Uint8Array): Buffer {
  const writer = protobuf.Writer.create();
  if (versionInfo !== '') writer.uint32((1 << 3) | LENGTH_DELIMITED).string(versionInfo);
  if (node) writer.uint32((2 << 3) | LENGTH_DELIMITED).bytes(node);
  writer.uint32((4 << 3) | LENGTH_DELIMITED).string(typeUrl);
  if (nonce !== '') writer.uint32((5 << 3) | LENGTH_DELIMITED).string(nonce);
  // The names follow the other fields, which decoders accept in any order.
  return Buffer.concat([writer.finish(), nameFields]);
}
