import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Locality } from '../discovery';
import type { EndpointReport, HealthAggregator } from './aggregator';
import { assignEndpoints, DEFAULT_REMOTE_PROBERS, type AssignedTarget, type HealthTarget, type ProberInfo } from './assignment';
import { buildHealthCheck } from './hds-health-check';
import { durationOf, fetchHealthCheckMethod, PROBE_ADDRESS_KEY, PROBERS_CLUSTER, RTT_KEY, RTT_PAYLOAD_HEX, streamHealthCheckMethod, type PlainMessage } from './hds-wire';
import type { LatencyMatrix } from './latency';

export interface HdsServerOptions {
  aggregator: HealthAggregator;
  latency: LatencyMatrix;
  logger: Logger;
  /** How often probers send their results (`HealthCheckSpecifier.interval`), in milliseconds. Default 1000. */
  reportIntervalMs?: number;
  /** Probers outside an endpoint's own zone that check it. Default 1. */
  remoteProbers?: number;
}

type HdsCall = grpc.ServerDuplexStream<PlainMessage, PlainMessage>;

interface ProberSession {
  info: ProberInfo;
  call: HdsCall;
  /** JSON of the last specifier sent, to send only changes. */
  lastSent?: string;
}

/**
 * Serves Envoy's Health Discovery Service to probers: assigns each connected prober the endpoints
 * it checks (`HealthCheckSpecifier`), reassigns when probers join or leave or targets change, and
 * hands the results (`EndpointHealthResponse`) to the aggregator. Each prober is also given the
 * other probers as the `meridian.probers` cluster, and its round-trip times to them feed the
 * latency matrix.
 */
export class HdsServer {
  private readonly sessions = new Map<string, ProberSession>();
  private targets: readonly HealthTarget[] = [];
  private readonly log: Logger;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: HdsServerOptions) {
    this.log = options.logger;
    // Votes lapse and held-down changes fall due even when no report arrives.
    this.timer = setInterval(() => options.aggregator.evaluate(), this.reportIntervalMs());
    this.timer.unref();
  }

  /** Returns the service definition and handlers, for `grpc.Server.addService`. */
  service(): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
    return {
      definition: { StreamHealthCheck: streamHealthCheckMethod, FetchHealthCheck: fetchHealthCheckMethod },
      implementation: {
        StreamHealthCheck: (call: HdsCall) => this.handleStream(call),
        FetchHealthCheck: (call: grpc.ServerUnaryCall<PlainMessage, PlainMessage>, callback: grpc.sendUnaryData<PlainMessage>) =>
          this.handleFetch(call.request, callback),
      },
    };
  }

  /** Sets the services under check and reassigns them. */
  setTargets(targets: readonly HealthTarget[]): void {
    this.targets = targets;
    this.options.aggregator.setTargets(targets);
    this.rebalance();
  }

  /** Connected probers, for the admin API. */
  probers(): ProberInfo[] {
    return [...this.sessions.values()].map((session) => session.info);
  }

  close(): void {
    clearInterval(this.timer);
    for (const session of this.sessions.values()) session.call.end();
    this.sessions.clear();
  }

  private reportIntervalMs(): number {
    return this.options.reportIntervalMs ?? 1000;
  }

  private handleStream(call: HdsCall): void {
    let id: string | undefined;
    const end = (): void => {
      if (id === undefined || this.sessions.get(id)?.call !== call) return;
      this.sessions.delete(id);
      this.options.aggregator.removeProber(id);
      this.log.info({ prober: id }, 'prober disconnected');
      this.rebalance();
    };

    call.on('data', (message: PlainMessage) => {
      if (message.health_check_request) {
        const info = proberInfoOf(message.health_check_request.node);
        if (info === undefined) {
          call.emit('error', { code: 3, details: 'HealthCheckRequest without node.id; set a node id in the prober bootstrap' });
          return;
        }
        const rtts = message.health_check_request.node?.metadata?.fields?.[RTT_KEY]?.structValue?.fields;
        if (id === info.id) {
          this.recordRtts(info, rtts);
          return;
        }
        id = info.id;
        const replaced = this.sessions.get(id);
        if (replaced) replaced.call.end();
        this.sessions.set(id, { info, call });
        this.log.info({ prober: id, locality: info.locality }, 'prober connected');
        this.rebalance();
      } else if (message.endpoint_health_response && id !== undefined) {
        const session = this.sessions.get(id);
        if (session?.call === call) this.recordResults(session.info, message.endpoint_health_response);
      }
    });
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('cancelled', end);
    call.on('error', end);
  }

  /**
   * Serves the unary `FetchHealthCheck`: returns the `HealthCheckSpecifier` of the node in the
   * request. For a node with an open stream, that is the assignment the stream has received. For
   * any other node id, it is the assignment the node would get if it connected now. The connected
   * probers keep their assignments, because a unary call registers no prober. Results cannot be
   * sent this way, because an `EndpointHealthResponse` carries no node to attribute them to.
   */
  private handleFetch(request: PlainMessage, callback: grpc.sendUnaryData<PlainMessage>): void {
    if (request.endpoint_health_response) {
      this.log.warn('fetch health check with results rejected');
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: 'FetchHealthCheck does not accept EndpointHealthResponse because it carries no node id; send results on StreamHealthCheck',
      });
      return;
    }
    const requested = proberInfoOf(request.health_check_request?.node);
    if (requested === undefined) {
      this.log.warn('fetch health check without node id rejected');
      callback({ code: grpc.status.INVALID_ARGUMENT, details: 'HealthCheckRequest without node.id; set a node id in the prober bootstrap' });
      return;
    }

    const info = this.sessions.get(requested.id)?.info ?? requested;
    const probers = [...this.sessions.values()].map((session) => session.info).filter((prober) => prober.id !== info.id);
    probers.push(info);
    const assignments = assignEndpoints(this.targets, probers, this.options.remoteProbers ?? DEFAULT_REMOTE_PROBERS);
    callback(null, this.buildSpecifier(info, assignments.get(info.id) ?? [], probers));
  }

  /** Sends each prober its assignment when it differs from what it last received. */
  private rebalance(): void {
    const probers = [...this.sessions.values()].map((session) => session.info);
    const assignments = assignEndpoints(this.targets, probers, this.options.remoteProbers ?? DEFAULT_REMOTE_PROBERS);
    for (const session of this.sessions.values()) {
      const specifier = this.buildSpecifier(session.info, assignments.get(session.info.id) ?? [], probers);
      const json = JSON.stringify(specifier);
      if (json === session.lastSent) continue;
      session.lastSent = json;
      session.call.write(specifier);
    }
  }

  private buildSpecifier(prober: ProberInfo, assigned: readonly AssignedTarget[], probers: readonly ProberInfo[]): PlainMessage {
    const clusters = assigned.map(({ target, endpoints }) => ({
      cluster_name: target.clusterName,
      health_checks: [buildHealthCheck(target.check)],
      locality_endpoints: groupByLocality(endpoints),
    }));

    const peers = probers.filter((peer) => peer.id !== prober.id && peer.probeAddress !== undefined);
    if (peers.length > 0) {
      const interval = this.reportIntervalMs();
      clusters.push({
        cluster_name: PROBERS_CLUSTER,
        health_checks: [
          {
            timeout: durationOf(Math.min(interval, 1000)),
            interval: durationOf(interval),
            unhealthy_threshold: { value: 1 },
            healthy_threshold: { value: 1 },
            tcp_health_check: { send: { text: RTT_PAYLOAD_HEX }, receive: [{ text: RTT_PAYLOAD_HEX }] },
          },
        ],
        locality_endpoints: groupByLocality(peers.map((peer) => ({ address: peer.probeAddress!.host, port: peer.probeAddress!.port, locality: peer.locality }))),
      });
    }
    return { cluster_health_checks: clusters, interval: durationOf(this.reportIntervalMs()) };
  }

  private recordResults(prober: ProberInfo, response: PlainMessage): void {
    const byCluster = new Map(this.targets.map((target) => [target.clusterName, target.service]));
    const reports: EndpointReport[] = [];
    for (const cluster of response.cluster_endpoints_health ?? []) {
      const service = byCluster.get(cluster.cluster_name);
      if (service === undefined) continue;
      for (const locality of cluster.locality_endpoints_health ?? []) {
        for (const health of locality.endpoints_health ?? []) {
          const socket = health.endpoint?.address?.socket_address;
          const status = statusOf(health.health_status);
          if (socket === undefined || status === undefined) continue;
          reports.push({ service, address: socket.address, port: Number(socket.port_value), status });
        }
      }
    }
    this.options.aggregator.recordReport(prober.id, prober.locality, reports);
  }

  private recordRtts(prober: ProberInfo, rtts: Record<string, PlainMessage> | undefined): void {
    if (rtts === undefined) return;
    for (const [address, value] of Object.entries(rtts)) {
      const peer = [...this.sessions.values()].find(
        (session) => session.info.probeAddress !== undefined && formatAddress(session.info.probeAddress) === address,
      );
      const rttMs = Number(value.numberValue);
      if (peer === undefined || !Number.isFinite(rttMs)) continue;
      this.options.latency.record(prober.locality, peer.info.locality, rttMs);
    }
  }
}

function proberInfoOf(node: PlainMessage | undefined): ProberInfo | undefined {
  if (!node?.id) return undefined;
  const locality: Locality = { region: node.locality?.region ?? '', zone: node.locality?.zone ?? '', subZone: node.locality?.sub_zone ?? '' };
  const probeAddress = node.metadata?.fields?.[PROBE_ADDRESS_KEY]?.stringValue;
  return { id: node.id, locality, probeAddress: parseAddress(probeAddress) };
}

function parseAddress(text: string | undefined): { host: string; port: number } | undefined {
  if (text === undefined) return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!match) return undefined;
  return { host: match[1] ?? match[2], port: Number(match[3]) };
}

function formatAddress(address: { host: string; port: number }): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function statusOf(status: string | undefined): 'healthy' | 'unhealthy' | undefined {
  if (status === 'HEALTHY') return 'healthy';
  if (status === 'UNHEALTHY' || status === 'TIMEOUT') return 'unhealthy';
  return undefined;
}

function groupByLocality(endpoints: readonly { address: string; port: number; locality: Locality }[]): PlainMessage[] {
  const groups = new Map<string, PlainMessage>();
  for (const endpoint of endpoints) {
    const key = JSON.stringify([endpoint.locality.region, endpoint.locality.zone, endpoint.locality.subZone]);
    let group = groups.get(key);
    if (group === undefined) {
      const locality: PlainMessage = {};
      if (endpoint.locality.region) locality.region = endpoint.locality.region;
      if (endpoint.locality.zone) locality.zone = endpoint.locality.zone;
      if (endpoint.locality.subZone) locality.sub_zone = endpoint.locality.subZone;
      group = { locality, endpoints: [] };
      groups.set(key, group);
    }
    group.endpoints.push({ address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } });
  }
  return [...groups.values()];
}
