import type { NackDetail, StreamInfo, XdsServerHooks } from '../xds';
import { withSpan } from '../telemetry';

/** The policy document and position that produced a resource. */
export interface NackSource {
  policy: string;
  file: string;
  line: number;
  column: number;
}

/** One rejected resource, with the YAML that produced it when known. */
export interface RejectedResourceEntry {
  name: string;
  version: string;
  /** Null for resources that several policies share, or that no policy produced. */
  source: NackSource | null;
}

/** One NACK as `GET /debug/nacks` lists it. */
export interface NackEntry {
  /** Arrival time, ISO 8601. */
  time: string;
  nodeId: string | null;
  /** Group of the proxy in the snapshot cache (client kind and locality). */
  group: string | null;
  service: string;
  typeUrl: string;
  /** `version_info` (SotW) or `system_version_info` (delta) of the rejected response. */
  version: string;
  message: string;
  /** True when the message named the resources, so only they were held back. */
  traced: boolean;
  /** Cause of the rejected response's snapshot, such as `registry=12 policy=3f2a...`. */
  cause: string;
  /** Policy revision parsed from `cause`, or null when the cause names none. */
  policyRevision: string | null;
  resources: RejectedResourceEntry[];
}

/** Source of the `/debug/nacks` view. */
export interface NackProvider {
  /** Returns the recorded NACKs, newest first. */
  nacks(): NackEntry[];
}

export interface NackLogOptions {
  /** Returns the policy document that produced a version of a resource in a group's recent snapshots. */
  sourceOf?: (group: string, typeUrl: string, name: string, version: string) => NackSource | undefined;
  /** NACKs kept; older ones are dropped. Default 200. */
  capacity?: number;
  now?: () => Date;
}

/**
 * Records the NACKs that the xDS server reports, with the resources they were traced to and the
 * policy YAML that produced each, so an operator can find the document behind a rejection.
 * Memory is bounded by `capacity`, not by the number of proxies.
 */
export class NackLog implements XdsServerHooks, NackProvider {
  private readonly entries: NackEntry[] = [];
  private readonly capacity: number;
  private readonly now: () => Date;

  constructor(private readonly options: NackLogOptions = {}) {
    this.capacity = options.capacity ?? 200;
    this.now = options.now ?? (() => new Date());
  }

  onNack(stream: StreamInfo, typeUrl: string, rejectedVersion: string, message: string, detail?: NackDetail): void {
    const group = detail?.group ?? stream.group ?? null;
    const resources = (detail?.rejected ?? []).map((resource) => ({
      name: resource.name,
      version: resource.version,
      source: (group !== null ? this.options.sourceOf?.(group, typeUrl, resource.name, resource.version) : undefined) ?? null,
    }));
    const cause = detail?.cause ?? '';
    this.entries.unshift({
      time: this.now().toISOString(),
      nodeId: stream.node?.id ?? null,
      group,
      service: stream.service,
      typeUrl,
      version: rejectedVersion,
      message,
      traced: detail?.traced ?? false,
      cause,
      policyRevision: /policy=(\S+)/.exec(cause)?.[1] ?? null,
      resources,
    });
    if (this.entries.length > this.capacity) this.entries.length = this.capacity;
    const entry = this.entries[0]!;
    withSpan(
      'meridian.xds.nack',
      {
        'meridian.node_id': entry.nodeId ?? '',
        'meridian.group': group ?? '',
        'meridian.xds.type_url': typeUrl,
        'meridian.xds.version': rejectedVersion,
        'meridian.xds.error_detail': message,
        'meridian.cause': cause,
        'meridian.xds.rejected_resources': resources.map((resource) => resource.name),
        'meridian.policy.sources': resources.flatMap((resource) => (resource.source === null ? [] : [`${resource.source.file}:${resource.source.line}`])),
      },
      () => undefined,
    );
  }

  nacks(): NackEntry[] {
    return this.entries.map((entry) => ({ ...entry, resources: entry.resources.map((resource) => ({ ...resource })) }));
  }
}
