import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { StreamAdmission, type AdmissionOptions } from './admission';
import type { SnapshotCache } from './cache';
import { DeltaStream, type DeltaCall } from './delta-stream';
import type { StreamInfo, XdsServerHooks } from './hooks';
import type { TypeUrl } from './protos';
import { SotwStream, type SotwCall } from './sotw-stream';
import { StreamError, type StreamContext, type XdsCall, type XdsStream } from './stream-base';
import { deltaMethodDefinition, DELTA_XDS_SERVICES, sotwMethodDefinition, XDS_SERVICES } from './wire';

export interface XdsServerOptions {
  cache: SnapshotCache;
  logger: Logger;
  hooks?: readonly XdsServerHooks[];
  /** Largest message the server accepts from a client, in bytes. Default 4 MiB. */
  maxReceiveMessageBytes?: number;
  /**
   * Pacing of the first response of new streams during a reconnect storm. Default
   * DEFAULT_ADMISSION (1000 streams per second after a burst of 500); `ratePerSecond: 0` turns it off.
   */
  admission?: AdmissionOptions;
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
 * The xDS gRPC server: ADS and the per-type services, each in state-of-the-world and delta form.
 * It reads configuration only through the snapshot cache and reports what happens on its
 * streams through hooks.
 */
export class XdsServer {
  private readonly server: grpc.Server;
  private readonly streams = new Set<XdsStream<unknown>>();
  private nextStreamId = 1;
  private readonly log: Logger;
  private readonly context: StreamContext;
  private readonly admission: StreamAdmission;

  constructor(options: XdsServerOptions) {
    this.log = options.logger;
    this.admission = new StreamAdmission(options.admission);
    this.context = { cache: options.cache, hooks: options.hooks ?? [], logger: options.logger, admission: this.admission };
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
        stream: (call: SotwCall) =>
          this.handleStream(call, entry.service, (info) => new SotwStream(call, info, typeUrl, this.context)),
      });
    }
    for (const entry of DELTA_XDS_SERVICES) {
      const typeUrl = 'typeUrl' in entry ? (entry.typeUrl as TypeUrl) : undefined;
      const definition = { stream: deltaMethodDefinition(entry.path) };
      this.server.addService(definition, {
        stream: (call: DeltaCall) =>
          this.handleStream(call, entry.service, (info) => new DeltaStream(call, info, typeUrl, this.context)),
      });
    }
  }

  /**
   * Adds another gRPC service to the same server, for example Envoy's Health Discovery Service.
   * Call it before `listen`.
   */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.server.addService(definition, implementation);
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
    this.admission.close();
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
  openStreams(): readonly XdsStream<unknown>[] {
    return [...this.streams];
  }

  private handleStream<Request>(call: XdsCall<Request>, service: string, create: (info: StreamInfo) => XdsStream<Request>): void {
    const info: StreamInfo = { streamId: this.nextStreamId++, service };
    const hooks = this.context.hooks;
    const stream = create(info);
    this.streams.add(stream as XdsStream<unknown>);
    for (const hook of hooks) hook.onStreamOpen?.(info);

    let ended = false;
    const end = (error?: StreamError): void => {
      if (ended) return;
      ended = true;
      stream.close();
      this.streams.delete(stream as XdsStream<unknown>);
      for (const hook of hooks) hook.onStreamClose?.(info);
      if (error) {
        this.log.warn({ streamId: info.streamId, nodeId: info.node?.id, error: error.message }, 'stream rejected');
        call.emit('error', { code: error.code, details: error.message });
      } else {
        call.end();
      }
    };

    call.on('data', (request: Request) => {
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
