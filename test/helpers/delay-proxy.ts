import * as net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that adds a one-way delay in both directions: it waits `delayMs` after
 * accepting a connection before connecting to the target, and forwards every chunk `delayMs` after
 * it arrives. A round trip through it therefore takes about twice `delayMs` more. Each connection
 * keeps the delay it was accepted with, so that its chunks stay in order.
 */
export class DelayProxy {
  /** One-way delay of new connections, in milliseconds. */
  delayMs = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly target: { host: string; port: number },
  ) {}

  /** Starts a proxy to `target` on a free loopback port. */
  static async start(target: { host: string; port: number }): Promise<DelayProxy> {
    const server = net.createServer();
    const proxy = new DelayProxy(server, target);
    server.on('connection', (socket) => proxy.relay(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  /** `127.0.0.1:PORT` of the proxy. */
  get address(): string {
    return `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private relay(client: net.Socket): void {
    const delayMs = this.delayMs;
    const upstream = new net.Socket();
    this.track(client);
    this.track(upstream);
    // The connect timer is set first, so it fires before the forwarding timers of the same delay.
    setTimeout(() => {
      if (!client.destroyed) upstream.connect(this.target.port, this.target.host);
    }, delayMs);
    forward(client, upstream, delayMs);
    forward(upstream, client, delayMs);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', () => setTimeout(closeBoth, delayMs));
    upstream.on('close', () => setTimeout(closeBoth, delayMs));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}

/** Writes what `from` receives to `to` after `delayMs`, and ends `to` after `from` ends. */
function forward(from: net.Socket, to: net.Socket, delayMs: number): void {
  from.on('data', (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => {
    setTimeout(() => {
      if (!to.destroyed) to.end();
    }, delayMs);
  });
}
