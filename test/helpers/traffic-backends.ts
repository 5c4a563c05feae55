import * as grpc from '@grpc/grpc-js';
import { createXdsClient, ECHO_PATH, type XdsClientNode } from './backends';

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A gRPC server on 127.0.0.1 that answers ECHO_PATH with its name, and can be set to fail calls
 * or to reply late, for tests of retries, outlier detection, circuit breakers and timeouts.
 */
export class ScriptedBackend {
  private server?: grpc.Server;
  /** Calls received, failed or not. */
  calls = 0;
  /** Calls that failed with `failureCode`. */
  failures = 0;
  /** Of every `failureCycle` calls, the first `failuresPerCycle` fail. 0 fails none. */
  failuresPerCycle = 0;
  failureCycle = 1;
  failureCode = grpc.status.UNAVAILABLE;
  /** Time before each reply, in milliseconds. */
  delayMs = 0;

  private constructor(
    readonly name: string,
    public port: number,
  ) {}

  static async start(name: string): Promise<ScriptedBackend> {
    const backend = new ScriptedBackend(name, 0);
    const server = new grpc.Server();
    server.register(ECHO_PATH, (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => backend.answer(callback), identity, identity, 'unary');
    backend.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
    backend.server = server;
    return backend;
  }

  /** Fails every call when true, and none when false. */
  set failing(failing: boolean) {
    this.failuresPerCycle = failing ? 1 : 0;
    this.failureCycle = 1;
  }

  private answer(callback: grpc.sendUnaryData<Buffer>): void {
    const index = this.calls++;
    const fail = index % this.failureCycle < this.failuresPerCycle;
    const send = () => {
      if (fail) {
        this.failures++;
        callback({ code: this.failureCode, details: `${this.name} failed on purpose` });
      } else {
        callback(null, Buffer.from(this.name));
      }
    };
    if (this.delayMs > 0) setTimeout(send, this.delayMs);
    else send();
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}

/** Node fields of a test client's bootstrap. */
export type ClientNode = XdsClientNode;

/** The outcome of one call: the backend's name, or the gRPC status code of the failure. */
export interface CallOutcome {
  name?: string;
  code: grpc.status;
  /** Time from the start of the call to its end, in milliseconds. */
  elapsedMs: number;
}

/** A proxyless gRPC client of `xds:///TARGET`, with node metadata, that reports status codes. */
export class XdsTrafficClient {
  private readonly client: grpc.Client;

  constructor(xdsAddress: string, target: string, node: ClientNode) {
    this.client = createXdsClient(xdsAddress, target, node);
  }

  /** Makes one call; never rejects. */
  call(deadlineMs = 5000): Promise<CallOutcome> {
    const started = Date.now();
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(ECHO_PATH, identity, identity, Buffer.alloc(0), { deadline: Date.now() + deadlineMs }, (error, response) => {
        const elapsedMs = Date.now() - started;
        if (error) resolve({ code: error.code ?? grpc.status.UNKNOWN, elapsedMs });
        else resolve({ name: response!.toString(), code: grpc.status.OK, elapsedMs });
      });
    });
  }

  /**
   * Makes `count` calls, `concurrency` at a time, and counts them by backend name, or by
   * `code N` for failed calls.
   */
  async tally(count: number, concurrency = 8): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    let started = 0;
    const worker = async () => {
      while (started < count) {
        started++;
        const outcome = await this.call();
        const key = outcome.name ?? `code ${outcome.code}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return counts;
  }

  close(): void {
    this.client.close();
  }
}

/** Returns the share of `key` among all counted calls, from 0 to 1. */
export function shareOf(counts: Record<string, number>, key: string): number {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return total === 0 ? 0 : (counts[key] ?? 0) / total;
}
