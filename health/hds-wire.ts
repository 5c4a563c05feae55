import type * as grpc from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { messageType } from '../xds';

/** gRPC path of HDS's bidirectional stream. */
export const STREAM_HEALTH_CHECK_PATH = '/envoy.service.health.v3.HealthDiscoveryService/StreamHealthCheck';

/** gRPC path of HDS's unary request. */
export const FETCH_HEALTH_CHECK_PATH = '/envoy.service.health.v3.HealthDiscoveryService/FetchHealthCheck';

/** Reserved cluster name under which probers are given each other, to measure round-trip times. */
export const PROBERS_CLUSTER = 'meridian.probers';

/** Node metadata key under which a prober sends the address its peers connect to. */
export const PROBE_ADDRESS_KEY = 'meridian.io/probe-address';

/** Node metadata key under which a prober sends its round-trip times: `{ "HOST:PORT": ms }`. */
export const RTT_KEY = 'meridian.io/rtt-ms';

/**
 * Payload, as hex text, of the TCP check of the probers cluster: a prober sends it, the peer's
 * probe listener echoes it, and the time to the echo is one round trip. ASCII "rtt".
 */
export const RTT_PAYLOAD_HEX = '727474';

/** A protobufjs plain object with proto field names. */
export type PlainMessage = Record<string, any>;

const CLIENT_MESSAGE = 'envoy.service.health.v3.HealthCheckRequestOrEndpointHealthResponse';
const SERVER_MESSAGE = 'envoy.service.health.v3.HealthCheckSpecifier';

const types: Record<string, protobuf.Type> = {};
function typeOf(name: string): protobuf.Type {
  types[name] ??= messageType(name);
  return types[name];
}

function encoder(name: string): (message: PlainMessage) => Buffer {
  return (message) => {
    const type = typeOf(name);
    return Buffer.from(type.encode(type.fromObject(message)).finish());
  };
}

function decoder(name: string): (bytes: Buffer) => PlainMessage {
  return (bytes) => {
    const type = typeOf(name);
    return type.toObject(type.decode(bytes), { defaults: false, arrays: true, enums: String, longs: Number, oneofs: false });
  };
}

export const encodeHdsClientMessage = encoder(CLIENT_MESSAGE);
export const decodeHdsClientMessage = decoder(CLIENT_MESSAGE);
export const encodeHealthCheckSpecifier = encoder(SERVER_MESSAGE);
export const decodeHealthCheckSpecifier = decoder(SERVER_MESSAGE);

/** Method definition of `StreamHealthCheck`, for `grpc.Server.addService` and `grpc.Client`. */
export const streamHealthCheckMethod: grpc.MethodDefinition<PlainMessage, PlainMessage> = {
  path: STREAM_HEALTH_CHECK_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: encodeHdsClientMessage,
  requestDeserialize: decodeHdsClientMessage,
  responseSerialize: encodeHealthCheckSpecifier,
  responseDeserialize: decodeHealthCheckSpecifier,
};

/** Method definition of `FetchHealthCheck`, for `grpc.Server.addService` and `grpc.Client`. */
export const fetchHealthCheckMethod: grpc.MethodDefinition<PlainMessage, PlainMessage> = {
  path: FETCH_HEALTH_CHECK_PATH,
  requestStream: false,
  responseStream: false,
  requestSerialize: encodeHdsClientMessage,
  requestDeserialize: decodeHdsClientMessage,
  responseSerialize: encodeHealthCheckSpecifier,
  responseDeserialize: decodeHealthCheckSpecifier,
};

/** Converts milliseconds to a `google.protobuf.Duration` plain object. */
export function durationOf(ms: number): PlainMessage {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Converts a `google.protobuf.Duration` plain object to milliseconds; undefined when absent. */
export function millisOf(duration: PlainMessage | undefined): number | undefined {
  if (duration === undefined || duration === null) return undefined;
  return Number(duration.seconds ?? 0) * 1000 + Number(duration.nanos ?? 0) / 1e6;
}

// protobufjs bundles google/protobuf/struct.proto with camelCase field names, so Struct values
// are written and read as `stringValue`, `numberValue`, `boolValue` and `structValue`, unlike
// the snake_case fields of Envoy's messages.

/** Builds a `google.protobuf.Value` holding a string. */
export function stringValueOf(value: string): PlainMessage {
  return { stringValue: value };
}

/** Builds a `google.protobuf.Value` holding a number. */
export function numberValueOf(value: number): PlainMessage {
  return { numberValue: value };
}

/** Builds a `google.protobuf.Value` holding a Struct of the given fields. */
export function structValueOf(fields: Record<string, PlainMessage>): PlainMessage {
  return { structValue: { fields } };
}
