import * as grpc from '@grpc/grpc-js';

/** The one method that test backends serve: it returns the backend's name. */
export const ECHO_PATH = '/meridian.test.Echo/WhoAmI';

const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A gRPC server on 127.0.0.1 that replies to every call with its own name, so a test can see which
 * backend a client's RPC reached. It can be stopped and started again on the same port.
 */
export class EchoBackend {
  private server?: grpc.Server;
  calls = 0;

  private constructor(
    readonly name: string,
    public port: number,
  ) {}

  /** Starts a backend on the given port, or on a free one with port 0. */
  static async start(name: string, port = 0): Promise<EchoBackend> {
    const backend = new EchoBackend(name, port);
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
    this.port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`127.0.0.1:${this.port}`, grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    this.server = server;
  }

  /** Stops at once: open connections are closed, as when a process dies. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }
}

/** The node a test's proxyless gRPC client announces to the xDS server. */
export interface XdsClientNode {
  id: string;
  locality?: { region: string; zone?: string; sub_zone?: string };
  metadata?: Record<string, unknown>;
}

/**
 * Creates a gRPC client of `xds:///TARGET` that resolves through the xDS server at `xdsAddress`.
 * grpc-js-xds reads its bootstrap from a channel option in place of GRPC_XDS_BOOTSTRAP, so that
 * clients in one process can sit in different localities, and a local subchannel pool gives each
 * client its own connections.
 */
export function createXdsClient(xdsAddress: string, target: string, node: XdsClientNode): grpc.Client {
  const bootstrap = {
    xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: node.id, cluster: 'test-clients', locality: node.locality ?? {}, metadata: node.metadata ?? {} },
  };
  return new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure(), {
    'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap),
    'grpc.use_local_subchannel_pool': 1,
  });
}

/**
 * A proxyless gRPC client that resolves `xds:///TARGET` through a Meridian xDS server.
 * NOTE: @grpc/grpc-js-xds 1.14 leaves a 15-minute priority-deactivation timer running after its
 * channel closes, so test files that use this client end only because `npm test` passes
 * --test-force-exit.
 */
export class XdsEchoClient {
  private readonly client: grpc.Client;

  constructor(xdsAddress: string, target: string, node: XdsClientNode) {
    this.client = createXdsClient(xdsAddress, target, node);
  }

  /** Calls the backend the client picks and returns that backend's name. */
  whoAmI(timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        ECHO_PATH,
        identity,
        identity,
        Buffer.alloc(0),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response!.toString())),
      );
    });
  }

  /** Makes `count` calls and counts the replies by backend name; failed calls count as "error". */
  async tally(count: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      let name: string;
      try {
        name = await this.whoAmI();
      } catch {
        name = 'error';
      }
      counts[name] = (counts[name] ?? 0) + 1;
    }
    return counts;
  }

  close(): void {
    this.client.close();
  }
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
