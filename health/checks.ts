import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as protobuf from 'protobufjs';

/** Check of one endpoint: the protocol-independent part of an HDS `HealthCheck`. */
export type CheckSpec =
  | { kind: 'tcp'; payload?: TcpPayload }
  | { kind: 'http'; tls: boolean; path: string; host?: string; expectedStatuses: readonly StatusRange[] }
  | { kind: 'grpc'; serviceName: string; authority?: string };

/**
 * Bytes that a TCP check sends once connected, and the blocks it expects back in order, as in
 * Envoy's `TcpHealthCheck.send` and `receive`.
 */
export interface TcpPayload {
  send: Buffer;
  receive: readonly Buffer[];
}

/** HTTP statuses from `start` (inclusive) to `end` (exclusive), as in Envoy's `Int64Range`. */
export interface StatusRange {
  start: number;
  end: number;
}

/** The outcome of one check. */
export interface CheckResult {
  ok: boolean;
  /** Time from the start of the check to its outcome, in milliseconds. */
  durationMs: number;
  /**
   * Time from sending a TCP check's payload to receiving the expected blocks, in milliseconds:
   * one round trip after the connection is open. Set only for passed TCP checks with a payload.
   */
  exchangeMs?: number;
  /** Reason of a failed check, for logs. */
  reason?: string;
}

/** The method that gRPC health checks call, from grpc/health/v1/health.proto. */
export const GRPC_HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
export const GRPC_SERVING = 1;

/**
 * Codecs of the two messages of grpc.health.v1, built by reflection because no installed package ships
 * health.proto: `HealthCheckRequest { string service = 1; }` and
 * `HealthCheckResponse { ServingStatus status = 1; }`, the enum sent as its number.
 */
export const grpcHealthMessages = (() => {
  const request = new protobuf.Type('HealthCheckRequest').add(new protobuf.Field('service', 1, 'string'));
  const response = new protobuf.Type('HealthCheckResponse').add(new protobuf.Field('status', 1, 'int32'));
  new protobuf.Root().define('grpc.health.v1').add(request).add(response);
  return {
    encodeRequest: (service: string): Buffer => Buffer.from(request.encode({ service }).finish()),
    // An object, not the bare string: grpc-js takes a falsy decoded request for a missing one.
    decodeRequest: (bytes: Buffer): { service: string } => ({ service: (request.decode(bytes) as unknown as { service: string }).service }),
    encodeResponse: (status: number): Buffer => Buffer.from(response.encode({ status }).finish()),
    decodeResponse: (bytes: Buffer): number => (response.decode(bytes) as unknown as { status: number }).status,
  };
})();

/** Runs one check of `host:port`; never throws, a failure is a result with `ok: false`. */
export async function runCheck(spec: CheckSpec, host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const finish = (ok: boolean, reason?: string): CheckResult => ({ ok, durationMs: performance.now() - started, reason });
  try {
    switch (spec.kind) {
      case 'tcp': {
        if (spec.payload === undefined) {
          await connectTcp(host, port, timeoutMs);
          return finish(true);
        }
        const exchangeMs = await exchangeTcp(host, port, timeoutMs, spec.payload);
        return { ...finish(true), exchangeMs };
      }
      case 'http': {
        const status = await getHttpStatus(spec, host, port, timeoutMs);
        const expected = spec.expectedStatuses.some((range) => status >= range.start && status < range.end);
        return finish(expected, expected ? undefined : `unexpected HTTP status ${status}`);
      }
      case 'grpc': {
        const status = await checkGrpcHealth(spec, host, port, timeoutMs);
        return finish(status === GRPC_SERVING, status === GRPC_SERVING ? undefined : `gRPC health status ${status}`);
      }
    }
  } catch (error) {
    return finish(false, (error as Error).message);
  }
}

/** Opens a TCP connection and closes it; resolves once connected. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connect timed out after ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/**
 * Opens a TCP connection, sends `payload.send` and reads until every `payload.receive` block has
 * arrived, each after the one before it. Resolves with the time from sending to the last block,
 * in milliseconds; `timeoutMs` bounds the whole exchange.
 */
export function exchangeTcp(host: string, port: number, timeoutMs: number, payload: TcpPayload): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let received = Buffer.alloc(0);
    let sentAt = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`TCP check timed out after ${timeoutMs} ms`)));
    socket.once('connect', () => {
      sentAt = performance.now();
      socket.write(payload.send);
    });
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      if (!containsInOrder(received, payload.receive)) return;
      const exchangeMs = performance.now() - sentAt;
      socket.destroy();
      resolve(exchangeMs);
    });
    socket.once('end', () => socket.destroy(new Error('connection closed before the expected response arrived')));
    socket.once('error', reject);
  });
}

/** Returns true when every block occurs in `data`, each after the end of the one before. */
function containsInOrder(data: Buffer, blocks: readonly Buffer[]): boolean {
  let from = 0;
  for (const block of blocks) {
    const at = data.indexOf(block, from);
    if (at < 0) return false;
    from = at + block.length;
  }
  return true;
}

function getHttpStatus(spec: Extract<CheckSpec, { kind: 'http' }>, host: string, port: number, timeoutMs: number): Promise<number> {
  const client = spec.tls ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      {
        host,
        port,
        path: spec.path,
        headers: { host: spec.host ?? hostHeaderOf(host, port), 'user-agent': 'meridian-prober' },
        timeout: timeoutMs,
        agent: false,
        // NOTE: a TLS check proves that the endpoint serves; it does not verify the certificate,
        // because probers have no trust roots of the service.
        rejectUnauthorized: false,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.once('timeout', () => request.destroy(new Error(`HTTP check timed out after ${timeoutMs} ms`)));
    request.once('error', reject);
  });
}

function hostHeaderOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function checkGrpcHealth(spec: Extract<CheckSpec, { kind: 'grpc' }>, host: string, port: number, timeoutMs: number): Promise<number> {
  const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const options: grpc.ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };
  if (spec.authority !== undefined) options['grpc.default_authority'] = spec.authority;
  // A channel per check: a reused channel would wait out its reconnect backoff after a fault.
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), options);
  return new Promise<number>((resolve, reject) => {
    client.makeUnaryRequest(
      GRPC_HEALTH_CHECK_PATH,
      grpcHealthMessages.encodeRequest,
      grpcHealthMessages.decodeResponse,
      spec.serviceName,
      { deadline: Date.now() + timeoutMs },
      (error, status) => (error ? reject(new Error(error.details || error.message)) : resolve(status ?? 0)),
    );
  }).finally(() => client.close());
}
