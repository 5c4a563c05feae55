import * as grpc from '@grpc/grpc-js';
import {
  decodeDeltaDiscoveryResponse,
  decodeDiscoveryResponse,
  DELTA_XDS_SERVICES,
  encodeDeltaDiscoveryRequest,
  encodeDiscoveryRequest,
  XDS_SERVICES,
  type DeltaDiscoveryResponse,
} from '../../xds';

export type DiscoveryResponse = ReturnType<typeof decodeDiscoveryResponse>;
export type { DeltaDiscoveryResponse };

/** Fields of a DeltaDiscoveryRequest that tests set. */
export interface DeltaRequestFields {
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code: number; message: string };
  node?: object;
}

export interface RequestFields {
  type_url?: string;
  version_info?: string;
  resource_names?: string[];
  response_nonce?: string;
  error_detail?: { code: number; message: string };
  node?: object;
}

const ADS_PATH = XDS_SERVICES[0].path;
const DELTA_ADS_PATH = DELTA_XDS_SERVICES[0].path;

/**
 * A raw xDS client for protocol tests: it sends the requests a test gives it and queues every
 * response, so a test controls each ACK, NACK and nonce itself.
 */
class RawStream<Request, Response> {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly queue: Response[] = [];
  private waiters: ((response: Response) => void)[] = [];
  /** The status the stream ended with, once it ended. */
  status?: grpc.StatusObject;
  private statusWaiters: ((status: grpc.StatusObject) => void)[] = [];

  constructor(
    address: string,
    path: string,
    private readonly encode: (request: Request) => Buffer,
    decode: (bytes: Buffer) => Response,
  ) {
    // A local subchannel pool gives every stream its own connection, as separate proxies have.
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    this.call = this.client.makeBidiStreamRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
    );
    this.call.on('data', (bytes: Buffer) => {
      const response = decode(bytes);
      const waiter = this.waiters.shift();
      if (waiter) waiter(response);
      else this.queue.push(response);
    });
    this.call.on('status', (status: grpc.StatusObject) => {
      this.status = status;
      for (const waiter of this.statusWaiters) waiter(status);
    });
    this.call.on('error', () => {
      // The status event carries the details.
    });
  }

  /** Stops reading responses, as a slow proxy does, so HTTP/2 flow control pushes back on the server. */
  pause(): void {
    this.call.pause();
  }

  resume(): void {
    this.call.resume();
  }

  send(request: Request): void {
    this.call.write(this.encode(request));
  }

  /** Resolves with the next response, or rejects after `timeoutMs`. */
  next(timeoutMs = 2000): Promise<Response> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== onResponse);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const onResponse = (response: Response): void => {
        clearTimeout(timer);
        resolve(response);
      };
      this.waiters.push(onResponse);
    });
  }

  /** Waits `ms` and returns every response that arrived meanwhile (expected: none). */
  async collectFor(ms: number): Promise<Response[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.queue.splice(0);
  }

  /** Resolves with the status the stream ends with. */
  ended(timeoutMs = 2000): Promise<grpc.StatusObject> {
    if (this.status) return Promise.resolve(this.status);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream did not end within ${timeoutMs} ms`)), timeoutMs);
      this.statusWaiters.push((status) => {
        clearTimeout(timer);
        resolve(status);
      });
    });
  }

  close(): void {
    this.call.end();
    this.call.cancel();
    this.client.close();
  }
}

/** A raw state-of-the-world client, on ADS unless `path` names a per-type service. */
export class RawXdsStream extends RawStream<RequestFields, DiscoveryResponse> {
  constructor(address: string, path: string = ADS_PATH) {
    super(address, path, (request) => encodeDiscoveryRequest(request as never), decodeDiscoveryResponse);
  }
}

/** A raw delta client, on delta ADS unless `path` names a per-type delta service. */
export class RawDeltaStream extends RawStream<DeltaRequestFields, DeltaDiscoveryResponse> {
  constructor(address: string, path: string = DELTA_ADS_PATH) {
    super(address, path, (request) => encodeDeltaDiscoveryRequest(request as never), decodeDeltaDiscoveryResponse);
  }
}
