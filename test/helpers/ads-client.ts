import * as grpc from '@grpc/grpc-js';
import { decodeDiscoveryResponse, encodeDiscoveryRequest, XDS_SERVICES } from '../../xds';

export type DiscoveryResponse = ReturnType<typeof decodeDiscoveryResponse>;

export interface RequestFields {
  type_url?: string;
  version_info?: string;
  resource_names?: string[];
  response_nonce?: string;
  error_detail?: { code: number; message: string };
  node?: object;
}

const ADS_PATH = XDS_SERVICES[0].path;

/**
 * A raw xDS client for protocol tests: it sends the requests it is told to and queues every
 * response, so a test controls each ACK, NACK and nonce itself.
 */
export class RawXdsStream {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  private readonly queue: DiscoveryResponse[] = [];
  private waiters: ((response: DiscoveryResponse) => void)[] = [];
  /** The status the stream ended with, once it ended. */
  status?: grpc.StatusObject;
  private statusWaiters: ((status: grpc.StatusObject) => void)[] = [];

  constructor(address: string, path: string = ADS_PATH) {
    // A local subchannel pool gives every stream its own connection, as separate proxies have.
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    this.call = this.client.makeBidiStreamRequest(
      path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
    );
    this.call.on('data', (bytes: Buffer) => {
      const response = decodeDiscoveryResponse(bytes);
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

  send(request: RequestFields): void {
    this.call.write(encodeDiscoveryRequest(request as never));
  }

  /** Resolves with the next response, or rejects after `timeoutMs`. */
  next(timeoutMs = 2000): Promise<DiscoveryResponse> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== onResponse);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const onResponse = (response: DiscoveryResponse): void => {
        clearTimeout(timer);
        resolve(response);
      };
      this.waiters.push(onResponse);
    });
  }

  /** Waits `ms` and returns every response that arrived meanwhile (expected: none). */
  async collectFor(ms: number): Promise<DiscoveryResponse[]> {
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
