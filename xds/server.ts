import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { SnapshotCache } from './cache';
import type { StreamInfo, XdsServerHooks } from './hooks';
import type { TypeUrl } from './protos';
import { SotwStream, StreamError, type SotwCall } from './sotw-stream';
import { sotwMethodDefinition, XDS_SERVICES, type DiscoveryRequest } from './wire';

export interface XdsServerOptions {
  cache: SnapshotCache;
  logger: Logger;
  hooks?: readonly XdsServerHooks[];
  /** Largest message the server accepts from a client, in bytes. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
}

/** Parses `HOST:PORT` or `[IPV6]:PORT`; throws an error that names the value and the expected form. */
export function parseHostPort(address: string, option = 'address'): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new Error(`invalid ${option} "${address}": expected HOST:PORT with a port from 0 to 65535, for example 127.0.0.1:18000 or [::1]:18000`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/**
 * The xDS gRPC server: ADS and the per-type state-of-the-world services. It reads configuration
 * only through the snapshot cache and reports what happens on its streams through hooks.
 */
export class XdsServer {
  private readonly server: grpc.Server;
  private readonly streams = new Set<SotwStream>();
  private nextStreamId = 1;
  private readonly log: Logger;

  constructor(private readonly options: XdsServerOptions) {
    this.log = options.logger;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
      // Proxies keep their streams open for days; keepalives find dead peers.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    for (const entry of XDS_SERVICES) {
      const typeUrl = 'typeUrl' in entry ? (entry.typeUrl as TypeUrl) : undefined;
      const definition = { stream: sotwMethodDefinition(entry.path) };
      this.server.addService(definition, {
        stream: (call: SotwCall) => this.handleStream(call, entry.service, typeUrl),
      });
    }
  }

  /** Binds and starts serving. Returns the bound port (useful with port 0). */
  async listen(address: string): Promise<number> {
    const { host, port } = parseHostPort(address, 'xDS address');
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const boundPort = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (error, bound) => {
        if (error) reject(new Error(`cannot listen for xDS on ${target}: ${error.message}; choose a free port with --xds-address`));
        else resolve(bound);
      });
    });
    this.log.info({ address: host, port: boundPort }, 'xds server listening');
    return boundPort;
  }

  /** Stops accepting streams, then ends the open ones after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    for (const stream of this.streams) stream.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Open streams, for the admin API. */
  openStreams(): readonly SotwStream[] {
    return [...this.streams];
  }

  private handleStream(call: SotwCall, service: string, typeUrl: TypeUrl | undefined): void {
    const info: StreamInfo = { streamId: this.nextStreamId++, service };
    const hooks = this.options.hooks ?? [];
    const stream = new SotwStream(call, info, typeUrl, this.options.cache, hooks, this.log);
    this.streams.add(stream);
    for (const hook of hooks) hook.onStreamOpen?.(info);

    let ended = false;
    const end = (error?: StreamError): void => {
      if (ended) return;
      ended = true;
      stream.close();
      this.streams.delete(stream);
      for (const hook of hooks) hook.onStreamClose?.(info);
      if (error) {
        this.log.warn({ streamId: info.streamId, nodeId: info.node?.id, error: error.message }, 'stream rejected');
        call.emit('error', { code: error.code, details: error.message });
      } else {
        call.end();
      }
    };

    call.on('data', (request: DiscoveryRequest) => {
      try {
        stream.handleRequest(request);
      } catch (error) {
        if (error instanceof StreamError) end(error);
        else {
          this.log.error({ streamId: info.streamId, err: error }, 'request handling failed');
          end(new StreamError(grpc.status.INTERNAL, `internal error: ${(error as Error).message}`));
        }
      }
    });
    call.on('end', () => end());
    call.on('cancelled', () => end());
    call.on('error', () => end());
  }
}
