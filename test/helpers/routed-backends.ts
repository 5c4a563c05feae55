import * as grpc from '@grpc/grpc-js';
import { createXdsClient } from './backends';
import type { ClientNode } from './traffic-backends';

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A gRPC server on 127.0.0.1 that replies to each of `paths` (`/SERVICE/METHOD`) with its name and
 * counts the calls per path, for tests of routes that match on the method or on headers.
 */
export class MethodBackend {
  private server?: grpc.Server;
  /** Calls received, by path. */
  readonly calls: Record<string, number> = {};

  private constructor(
    readonly name: string,
    public port: number,
  ) {}

  static async start(name: string, paths: readonly string[]): Promise<MethodBackend> {
    const backend = new MethodBackend(name, 0);
    const server = new grpc.Server();
    for (const path of paths) {
      const answer = (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        backend.calls[path] = (backend.calls[path] ?? 0) + 1;
        callback(null, Buffer.from(name));
      };
      server.register(path, answer, identity, identity, 'unary');
    }
    backend.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
    backend.server = server;
    return backend;
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}

/** A proxyless gRPC client of `xds:///TARGET` that calls any method with request headers. */
export class XdsRoutedClient {
  private readonly client: grpc.Client;

  constructor(xdsAddress: string, target: string, node: ClientNode) {
    this.client = createXdsClient(xdsAddress, target, node);
  }

  /** Calls `path` with `headers` and resolves with the backend's name, or `code N` on failure; never rejects. */
  call(path: string, headers: Record<string, string> = {}, deadlineMs = 5000): Promise<string> {
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(path, identity, identity, Buffer.alloc(0), metadata, { deadline: Date.now() + deadlineMs }, (error, response) => {
        if (error) resolve(`code ${error.code ?? grpc.status.UNKNOWN}`);
        else resolve(response!.toString());
      });
    });
  }

  /** Makes `count` calls of `path` with `headers`, one after the other, and counts them by outcome. */
  async tally(count: number, path: string, headers: Record<string, string> = {}): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let index = 0; index < count; index++) {
      const outcome = await this.call(path, headers);
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    }
    return counts;
  }

  close(): void {
    this.client.close();
  }
}
