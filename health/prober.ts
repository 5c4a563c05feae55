import * as grpc from '@grpc/grpc-js';
import * as net from 'node:net';
import type { Logger } from 'pino';
import type { Locality } from '../discovery';
import { parseHostPort } from '../xds';
import { runCheck } from './checks';
import { readHealthCheck, type ProbeSettings } from './hds-health-check';
import { millisOf, numberValueOf, stringValueOf, structValueOf, PROBE_ADDRESS_KEY, PROBERS_CLUSTER, RTT_KEY, streamHealthCheckMethod, type PlainMessage } from './hds-wire';

export interface ProberOptions {
  /** Node id sent to the control plane; unique per prober. */
  id: string;
  locality: Locality;
  /** gRPC target of the control plane: `HOST:PORT` or `unix:PATH`. */
  controlPlane: string;
  /**
   * `HOST:PORT` on which the prober accepts the TCP connections of other probers, which measure
   * round-trip times with them. Undefined measures nothing toward this prober.
   */
  probeListen?: string;
  /**
   * `HOST:PORT` that the control plane sends to other probers as this prober's probe address,
   * when they reach the listener through NAT or a TCP proxy. Default: the listen address.
   */
  probeAdvertise?: string;
  logger: Logger;
  /** Maximum wait before reconnecting to the control plane, in milliseconds. Default 5000. */
  maxReconnectDelayMs?: number;
}

type Status = 'HEALTHY' | 'UNHEALTHY';

/** Checks one endpoint on its own timer and keeps its settled status. */
class CheckLoop {
  status?: Status;
  /**
   * Round-trip time of the last successful check, in milliseconds: the payload exchange when the
   * check has a payload, otherwise the whole check.
   */
  lastSuccessMs?: number;
  private successes = 0;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly settings: ProbeSettings,
    readonly address: string,
    readonly port: number,
    readonly locality: PlainMessage,
  ) {
    this.schedule(Math.random() * Math.min(settings.intervalMs, 1000));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), delayMs);
  }

  private async check(): Promise<void> {
    const result = await runCheck(this.settings.check, this.address, this.port, this.settings.timeoutMs);
    if (this.stopped) return;
    if (result.ok) {
      this.successes++;
      this.failures = 0;
      this.lastSuccessMs = result.exchangeMs ?? result.durationMs;
      // The first result settles the status at once; later flips need the threshold.
      if (this.status === undefined || (this.status === 'UNHEALTHY' && this.successes >= this.settings.healthyThreshold)) this.status = 'HEALTHY';
    } else {
      this.failures++;
      this.successes = 0;
      if (this.status === undefined || (this.status === 'HEALTHY' && this.failures >= this.settings.unhealthyThreshold)) this.status = 'UNHEALTHY';
    }
    this.schedule(this.settings.intervalMs + Math.random() * this.settings.jitterMs);
  }
}

/**
 * A prober: connects to the control plane over HDS, runs the checks it is assigned, and sends the
 * settled result of each endpoint at the interval that the control plane sets. It reconnects after
 * the stream ends, with growing delays.
 */
export class Prober {
  private readonly log: Logger;
  private client?: grpc.Client;
  private call?: grpc.ClientDuplexStream<PlainMessage, PlainMessage>;
  private readonly loops = new Map<string, { cluster: string; loop: CheckLoop }>();
  private reportTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private reconnectDelayMs = 250;
  private listener?: net.Server;
  private advertised?: string;
  private stopped = false;

  constructor(private readonly options: ProberOptions) {
    this.log = options.logger.child({ component: 'prober', prober: options.id });
  }

  /** Starts the probe listener, when configured, and connects to the control plane. */
  async start(): Promise<void> {
    if (this.options.probeListen !== undefined) this.advertised = await this.listen(this.options.probeListen);
    if (this.options.probeAdvertise !== undefined) {
      parseHostPort(this.options.probeAdvertise, 'probe advertise address');
      this.advertised = this.options.probeAdvertise;
    }
    this.client = new grpc.Client(this.options.controlPlane, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    this.connect();
  }

  /** Ends the stream and every check. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.reportTimer);
    for (const { loop } of this.loops.values()) loop.stop();
    this.loops.clear();
    this.call?.cancel();
    this.client?.close();
    this.listener?.close();
  }

  /** `HOST:PORT` on which the probe listener accepts connections; undefined without one. */
  probeListenAddress(): string | undefined {
    const address = this.listener?.address();
    if (address === null || address === undefined || typeof address === 'string') return undefined;
    return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  }

  /** Endpoints under check, as `CLUSTER|HOST:PORT`, for tests and logs. */
  assignedKeys(): string[] {
    return [...this.loops.keys()].sort();
  }

  /** Listens for peers' round-trip checks, echoing what they send (`RTT_PAYLOAD_HEX`). */
  private listen(address: string): Promise<string> {
    const { host, port } = parseHostPort(address, 'probe address');
    const server = net.createServer((socket) => {
      socket.setTimeout(5000, () => socket.destroy());
      socket.on('data', (data) => socket.write(data));
      socket.on('end', () => socket.end());
      // A peer closes the connection once it has the echo, which can reset it here.
      socket.on('error', () => socket.destroy());
    });
    this.listener = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const port = (server.address() as net.AddressInfo).port;
        resolve(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
      });
    });
  }

  private connect(): void {
    if (this.stopped || this.client === undefined) return;
    const call = this.client.makeBidiStreamRequest(
      streamHealthCheckMethod.path,
      streamHealthCheckMethod.requestSerialize,
      streamHealthCheckMethod.responseDeserialize,
    );
    this.call = call;
    call.write({ health_check_request: { node: this.node({}), capability: { health_check_protocols: ['HTTP', 'TCP'] } } });

    call.on('data', (specifier: PlainMessage) => {
      this.reconnectDelayMs = 250;
      this.apply(specifier);
    });
    let ended = false;
    const retry = (error?: Error): void => {
      if (ended || this.stopped) return;
      ended = true;
      this.log.warn({ err: error?.message, retryInMs: this.reconnectDelayMs }, 'hds stream ended; reconnecting');
      this.reconnectTimer = setTimeout(() => this.connect(), this.reconnectDelayMs);
      this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, this.options.maxReconnectDelayMs ?? 5000);
    };
    call.on('error', retry);
    call.on('end', () => retry());
  }

  private node(metadata: Record<string, PlainMessage>): PlainMessage {
    const { region, zone, subZone } = this.options.locality;
    const fields: Record<string, PlainMessage> = { ...metadata };
    if (this.advertised !== undefined) fields[PROBE_ADDRESS_KEY] = stringValueOf(this.advertised);
    return {
      id: this.options.id,
      cluster: 'meridian-probers',
      locality: { region, zone, sub_zone: subZone },
      user_agent_name: 'meridian-prober',
      metadata: { fields },
    };
  }

  /** Starts, restarts and stops checks to match a new specifier. */
  private apply(specifier: PlainMessage): void {
    const desired = new Map<string, { cluster: string; settings: ProbeSettings; address: string; port: number; locality: PlainMessage }>();
    for (const cluster of specifier.cluster_health_checks ?? []) {
      const settings = readHealthCheck(cluster.health_checks?.[0] ?? {});
      if (typeof settings === 'string') {
        this.log.warn({ cluster: cluster.cluster_name, reason: settings }, 'health check not run');
        continue;
      }
      for (const group of cluster.locality_endpoints ?? []) {
        for (const endpoint of group.endpoints ?? []) {
          const socket = endpoint.address?.socket_address;
          if (!socket?.address) continue;
          const key = `${cluster.cluster_name}|${socket.address}:${socket.port_value}`;
          desired.set(key, { cluster: cluster.cluster_name, settings, address: socket.address, port: Number(socket.port_value), locality: group.locality ?? {} });
        }
      }
    }

    for (const [key, entry] of this.loops) {
      const next = desired.get(key);
      if (next === undefined || JSON.stringify(next.settings) !== JSON.stringify(entry.loop.settings)) {
        entry.loop.stop();
        this.loops.delete(key);
      }
    }
    for (const [key, entry] of desired) {
      if (this.loops.has(key)) continue;
      this.loops.set(key, { cluster: entry.cluster, loop: new CheckLoop(entry.settings, entry.address, entry.port, entry.locality) });
    }
    this.log.info({ endpoints: this.loops.size }, 'assignment applied');

    clearInterval(this.reportTimer);
    this.reportTimer = setInterval(() => this.report(), millisOf(specifier.interval) || 1000);
  }

  /** Sends the settled results, then the round-trip times to other probers. */
  private report(): void {
    const call = this.call;
    if (call === undefined) return;
    const byCluster = new Map<string, Map<string, PlainMessage>>();
    const rtts: Record<string, PlainMessage> = {};
    for (const { cluster, loop } of this.loops.values()) {
      if (loop.status === undefined) continue;
      if (cluster === PROBERS_CLUSTER && loop.status === 'HEALTHY' && loop.lastSuccessMs !== undefined) {
        const host = loop.address.includes(':') ? `[${loop.address}]` : loop.address;
        rtts[`${host}:${loop.port}`] = numberValueOf(Math.round(loop.lastSuccessMs * 1000) / 1000);
      }
      let localities = byCluster.get(cluster);
      if (localities === undefined) {
        localities = new Map();
        byCluster.set(cluster, localities);
      }
      const localityKey = JSON.stringify(loop.locality);
      const group = localities.get(localityKey) ?? { locality: loop.locality, endpoints_health: [] };
      group.endpoints_health.push({
        endpoint: { address: { socket_address: { address: loop.address, port_value: loop.port } } },
        health_status: loop.status,
      });
      localities.set(localityKey, group);
    }
    const clusters = [...byCluster].map(([name, localities]) => ({ cluster_name: name, locality_endpoints_health: [...localities.values()] }));
    call.write({ endpoint_health_response: { cluster_endpoints_health: clusters } });
    if (Object.keys(rtts).length > 0) {
      call.write({ health_check_request: { node: this.node({ [RTT_KEY]: structValueOf(rtts) }) } });
    }
  }
}
