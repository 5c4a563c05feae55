import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';
import type { RegistrySnapshot } from '../discovery';
import type { StreamInfo, XdsServerHooks } from '../xds';

/**
 * Message names of the resource types that the `type` label may take. Any other type URL a client
 * sends is counted as `other`, so that clients cannot grow the label set.
 */
const KNOWN_TYPE_NAMES: ReadonlySet<string> = new Set([
  'Listener',
  'RouteConfiguration',
  'ScopedRouteConfiguration',
  'VirtualHost',
  'Cluster',
  'ClusterLoadAssignment',
  'LbEndpoint',
  'Secret',
  'Runtime',
  'TypedExtensionConfig',
]);

/** Label value for type URLs outside KNOWN_TYPE_NAMES. */
export const OTHER_TYPE_LABEL = 'other';

/**
 * Returns the short type name used as the `type` label, for example `Cluster` for
 * `type.googleapis.com/envoy.config.cluster.v3.Cluster`, or `other` for an unknown type URL.
 */
export function typeLabelOf(typeUrl: string): string {
  const name = typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
  return KNOWN_TYPE_NAMES.has(name) ? name : OTHER_TYPE_LABEL;
}

export interface XdsMetricsOptions {
  /** Registry the metrics are declared on. Each XdsMetrics needs its own, since names must be unique. */
  registry: Registry;
  /** Also collect prom-client's default process and Node.js metrics on the registry. Default true. */
  collectDefaultMetrics?: boolean;
}

/**
 * Prometheus metrics of the xDS server, fed by its hooks, and of the service registry.
 * Labels are bounded: `type` takes the short names above and `service` the xDS gRPC service names.
 * NOTE: a node id is never a label, because each proxy would add a time series.
 */
export class XdsMetrics implements XdsServerHooks {
  private readonly connectedProxies: Gauge<'service'>;
  private readonly pushes: Counter<'type'>;
  private readonly acks: Counter<'type'>;
  private readonly nacks: Counter<'type'>;
  private readonly responseBytes: Counter<'type'>;
  private readonly registryServices: Gauge;
  private readonly registryEndpoints: Gauge;
  /** Returns the error count of the newest load of the config files, read at each scrape. */
  private readConfigErrors: () => number = () => 0;
  /** Streams counted in the gauge, so a close without an open never drives it below zero. */
  private readonly openStreams = new Map<number, string>();

  constructor(options: XdsMetricsOptions) {
    const registers = [options.registry];
    this.connectedProxies = new Gauge({
      name: 'meridian_xds_connected_proxies',
      help: 'Open xDS streams by gRPC service, such as ads or clusters. With ADS each proxy holds one stream.',
      labelNames: ['service'],
      registers,
    });
    this.pushes = new Counter({
      name: 'meridian_xds_pushes_total',
      help: 'xDS responses sent, by resource type.',
      labelNames: ['type'],
      registers,
    });
    this.acks = new Counter({
      name: 'meridian_xds_acks_total',
      help: 'Requests that ACKed a response, by resource type.',
      labelNames: ['type'],
      registers,
    });
    this.nacks = new Counter({
      name: 'meridian_xds_nacks_total',
      help: 'Requests that NACKed a response (error_detail set), by resource type.',
      labelNames: ['type'],
      registers,
    });
    this.responseBytes = new Counter({
      name: 'meridian_xds_response_bytes_total',
      help: 'Serialized size of the xDS responses sent, in bytes, by resource type.',
      labelNames: ['type'],
      registers,
    });
    this.registryServices = new Gauge({
      name: 'meridian_registry_services',
      help: 'Services in the current registry snapshot.',
      registers,
    });
    this.registryEndpoints = new Gauge({
      name: 'meridian_registry_endpoints',
      help: 'Endpoints of all services in the current registry snapshot.',
      registers,
    });

    const metrics = this;
    new Gauge({
      name: 'meridian_config_errors',
      help: 'Errors in the newest load of the watched config files, 0 when it was accepted. While it is above 0, the last valid configuration stays in force.',
      registers,
      collect() {
        this.set(metrics.readConfigErrors());
      },
    });

    if (options.collectDefaultMetrics ?? true) {
      collectDefaultMetrics({ register: options.registry });
    }
  }

  onStreamOpen(stream: StreamInfo): void {
    if (this.openStreams.has(stream.streamId)) return;
    this.openStreams.set(stream.streamId, stream.service);
    this.connectedProxies.inc({ service: stream.service });
  }

  onStreamClose(stream: StreamInfo): void {
    const service = this.openStreams.get(stream.streamId);
    if (service === undefined) return;
    this.openStreams.delete(stream.streamId);
    this.connectedProxies.dec({ service });
  }

  onAck(_stream: StreamInfo, typeUrl: string, _version: string): void {
    this.acks.inc({ type: typeLabelOf(typeUrl) });
  }

  onNack(_stream: StreamInfo, typeUrl: string, _rejectedVersion: string, _message: string): void {
    this.nacks.inc({ type: typeLabelOf(typeUrl) });
  }

  onResponse(_stream: StreamInfo, typeUrl: string, _version: string, _resourceCount: number, bytes: number): void {
    const type = typeLabelOf(typeUrl);
    this.pushes.inc({ type });
    // prom-client throws on a negative increment, and hooks must not throw.
    if (Number.isFinite(bytes) && bytes > 0) this.responseBytes.inc({ type }, bytes);
  }

  /** Sets where `meridian_config_errors` reads the error count of the newest config load. */
  observeConfigErrors(read: () => number): void {
    this.readConfigErrors = read;
  }

  /** Sets the registry gauges from a snapshot. Call it on every registry change. */
  observeRegistry(snapshot: RegistrySnapshot): void {
    let endpoints = 0;
    for (const service of snapshot.services.values()) endpoints += service.endpoints.length;
    this.registryServices.set(snapshot.services.size);
    this.registryEndpoints.set(endpoints);
  }
}
