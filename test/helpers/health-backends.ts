import * as grpc from '@grpc/grpc-js';
import { GRPC_HEALTH_CHECK_PATH, grpcHealthMessages } from '../../health';
import { ECHO_PATH } from './backends';

const identity = (bytes: Buffer): Buffer => bytes;

/** `grpc.health.v1.HealthCheckResponse.ServingStatus` values that tests switch between. */
export const SERVING = 1;
export const NOT_SERVING = 2;

/**
 * A gRPC server on `host` that returns its name from the echo method, like `EchoBackend`, and
 * also serves `grpc.health.v1.Health/Check` with a status that the test switches. The server keeps
 * accepting connections and echo calls whatever its health status is.
 */
export class HealthEchoBackend {
  private server?: grpc.Server;
  /** Status that health checks receive. */
  status = SERVING;
  calls = 0;
  healthChecks = 0;

  private constructor(
    readonly name: string,
    public port: number,
    readonly host: string,
  ) {}

  static async start(name: string, host = '127.0.0.1', port = 0): Promise<HealthEchoBackend> {
    const backend = new HealthEchoBackend(name, port, host);
    await backend.start();
    return backend;
  }

  async start(): Promise<void> {
    const server = new grpc.Server();
    server.register(
      ECHO_PATH,
      (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        this.calls++;
        callback(null, Buffer.from(this.name));
      },
      identity,
      identity,
      'unary',
    );
    server.register(
      GRPC_HEALTH_CHECK_PATH,
      (_call: grpc.ServerUnaryCall<{ service: string }, number>, callback: grpc.sendUnaryData<number>) => {
        this.healthChecks++;
        callback(null, this.status);
      },
      grpcHealthMessages.encodeResponse,
      grpcHealthMessages.decodeRequest,
      'unary',
    );
    this.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${this.host}:${this.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
    this.server = server;
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}
