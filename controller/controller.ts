import type { Link, Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { RegistrySnapshot } from '../discovery';
import type { ClientProfile, PolicySet } from '../policy';
import { buildSnapshot, contentHash, encodeResource, type EncodedResource, type SnapshotCache, type TypeUrl } from '../xds';
import { linkToActiveSpan, withSpan } from '../telemetry';
import { profileOfGroupKey } from './groups';

/** Maximum number of links from one recompute span to the spans of the changes behind it. */
const MAX_CAUSE_LINKS = 32;

/** The registry interface the controller reads. */
export interface RegistryView {
  snapshot(): RegistrySnapshot;
  /** True once every discovery source has synced. */
  synced(): boolean;
  onChange(listener: () => void): () => void;
}

/** The policy store interface the controller reads. */
export interface PolicyView {
  current(): PolicySet;
  onChange(listener: () => void): () => void;
}

/** One resource as the policy engine computes it: a protobufjs plain object with its name. */
export interface ComputedResource {
  name: string;
  message: object;
  /** The policy document the resource came from, for NACK reports. Undefined when shared. */
  origin?: ResourceSource;
}

/** A policy document and its position, where a resource came from. */
export interface ResourceSource {
  policy: string;
  file: string;
  line: number;
  column: number;
}

/**
 * Computes every resource for one client profile. Dangling references need no check here, because
 * the cache rejects a snapshot that has one and the group keeps its previous snapshot.
 */
export type ResourceBuilder = (
  registry: RegistrySnapshot,
  policies: PolicySet,
  profile: ClientProfile,
) => { resources: ReadonlyMap<TypeUrl, readonly ComputedResource[]> };

/** The health prober mesh interface the controller reads: decisions and measured latency change. */
export interface HealthView {
  onChange(listener: () => void): () => void;
}

export interface ControllerOptions {
  registry: RegistryView;
  policies: PolicyView;
  /** Endpoint health and latency; a change recomputes every snapshot, like a registry change. */
  health?: HealthView;
  cache: SnapshotCache;
  build: ResourceBuilder;
  logger: Logger;
  /** Quiet period after a change before snapshots are recomputed, in milliseconds. Default 100. */
  debounceMs?: number;
  /** Maximum time a change waits while further changes keep arriving, in milliseconds. Default 1000. */
  maxDelayMs?: number;
  /**
   * Returns when the change being reported happened, if the source recorded it, in `Date.now()`
   * milliseconds. The quiet period counts from then, so a file edit that the config watcher
   * already held back for its own quiet period is not held back twice. Default: the time of the
   * report.
   */
  changedAt?: () => number | undefined;
  /**
   * Called after a group's snapshot is published from synced discovery sources, for example to
   * save it as the last known good state. Not called for snapshots published by serveUnsynced.
   */
  onPublished?: (group: string) => void;
}

/**
 * Joins discovery, policy and the xDS cache: computes a snapshot for every group of proxies that
 * requests one, and recomputes all of them when the registry or the policies change. Nothing is
 * published before every discovery source has synced, so no proxy is sent a partial endpoint list.
 */
export class MeshController {
  private readonly log: Logger;
  /** Encoded resources by content key, with the recompute generation that last used each. */
  private readonly encoded = new Map<string, { generation: number; resource: EncodedResource }>();
  private generation = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private firstPendingAt?: number;
  /** Reasons for the waiting recompute: `registry`, `policy` or `health`. */
  private readonly pendingReasons = new Set<string>();
  /** Spans of the changes behind the waiting recompute, for the links of its span. */
  private pendingLinks: Link[] = [];
  /** Time of the latest change waiting for the recompute. */
  private lastPendingAt?: number;
  private stopped = false;
  private unsynced = false;
  /** Groups that serve a snapshot restored from the last known good state until discovery syncs. */
  private readonly restored = new Set<string>();
  /**
   * Origins of the resources of each group's latest snapshot and of the one it replaced, by
   * `typeUrl\0name\0version`, so that a NACK of the version before a fix still finds its source.
   */
  private readonly origins = new Map<string, { current: Map<string, ResourceSource>; previous?: Map<string, ResourceSource> }>();
  /** Snapshot computations since start, for tests and metrics. */
  computations = 0;

  constructor(private readonly options: ControllerOptions) {
    this.log = options.logger;
  }

  start(): void {
    const { registry, policies, cache } = this.options;
    this.unsubscribe.push(registry.onChange(() => this.schedule('registry')));
    this.unsubscribe.push(policies.onChange(() => this.schedule('policy')));
    if (this.options.health) this.unsubscribe.push(this.options.health.onChange(() => this.schedule('health')));
    this.unsubscribe.push(cache.onGroupDemand((group) => this.publish(group)));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  /**
   * Publishes from the registry as it is, even before every discovery source has synced. Used
   * when the sync timeout has passed, so that proxies get what the synced sources provide. Groups
   * marked by `keepRestored` keep their restored snapshot.
   */
  serveUnsynced(): void {
    this.unsynced = true;
    this.recomputeAll();
  }

  /**
   * Marks a group's snapshot as restored from the last known good state. Until every discovery
   * source has synced, even after `serveUnsynced`, the group keeps that snapshot, because one
   * computed from the sources that have synced may lack services or endpoints.
   */
  keepRestored(group: string): void {
    this.restored.add(group);
  }

  /**
   * Returns the policy document that produced a version of a resource in one of a group's last two
   * snapshots, or undefined when neither has that version, as for a snapshot restored from disk.
   */
  originOf(group: string, typeUrl: string, name: string, version: string): ResourceSource | undefined {
    const origins = this.origins.get(group);
    const key = originKey(typeUrl, name, version);
    return origins?.current.get(key) ?? origins?.previous?.get(key);
  }

  /** Recomputes every known group now, skipping the debounce. */
  recomputeAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.firstPendingAt = undefined;
    this.lastPendingAt = undefined;
    this.generation++;
    const reasons = [...this.pendingReasons];
    this.pendingReasons.clear();
    const links = this.pendingLinks;
    this.pendingLinks = [];
    const { registry, policies } = this.options;
    const cause = causeOf(registry.snapshot().revision, policies.current().revision);
    const attributes = { 'meridian.reasons': reasons, 'meridian.cause': cause };
    withSpan('meridian.recompute', attributes, (span) => this.publishAll(span, reasons, cause), { links, root: true });
    // Forget encodings that neither this recompute nor the one before used.
    for (const [key, entry] of this.encoded) {
      if (entry.generation < this.generation - 1) this.encoded.delete(key);
    }
  }

  /** Publishes every known group, and records on the span and in the log what changed. */
  private publishAll(span: Span, reasons: string[], cause: string): void {
    const startedAt = performance.now();
    const groups = new Set([...this.options.cache.groups(), ...this.options.cache.activeGroups()]);
    let changedGroups = 0;
    for (const group of groups) {
      const changedTypes = this.publish(group);
      if (changedTypes.length === 0) continue;
      changedGroups++;
      span.addEvent('snapshot published', { 'meridian.group': group, 'meridian.xds.type_urls': changedTypes, 'meridian.streams': this.options.cache.watchCount(group) });
    }
    span.setAttributes({ 'meridian.groups': groups.size, 'meridian.changed_groups': changedGroups });
    if (changedGroups === 0) return;
    this.log.info(
      { reasons, cause, groups: groups.size, changedGroups, durationMs: Math.round(performance.now() - startedAt) },
      'snapshots published',
    );
  }

  private schedule(reason: string): void {
    if (this.stopped) return;
    const now = Date.now();
    const changedAt = Math.min(now, this.options.changedAt?.() ?? now);
    this.firstPendingAt ??= changedAt;
    this.lastPendingAt = Math.max(this.lastPendingAt ?? changedAt, changedAt);
    const debounceMs = this.options.debounceMs ?? 100;
    const maxDelayMs = this.options.maxDelayMs ?? 1000;
    const delay = Math.max(0, Math.min(this.lastPendingAt + debounceMs - now, this.firstPendingAt + maxDelayMs - now));
    this.pendingReasons.add(reason);
    const link = linkToActiveSpan();
    if (link !== undefined && this.pendingLinks.length < MAX_CAUSE_LINKS) this.pendingLinks.push(link);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.recomputeAll(), delay);
    this.log.debug({ reason, delayMs: delay }, 'recompute scheduled');
  }

  /**
   * Computes and publishes the snapshot of one group, and keeps the old one when that fails.
   * Returns the types whose version the published snapshot changed.
   */
  private publish(group: string): TypeUrl[] {
    const { registry, policies, cache, build } = this.options;
    const synced = registry.synced();
    if (!synced && (!this.unsynced || this.restored.has(group))) {
      this.log.debug({ group }, 'snapshot deferred until discovery has synced');
      return [];
    }
    if (synced) this.restored.clear();

    const registrySnapshot = registry.snapshot();
    const policySet = policies.current();
    const profile = profileOfGroupKey(group);
    const cause = causeOf(registrySnapshot.revision, policySet.revision);
    try {
      const { resources } = build(registrySnapshot, policySet, profile);
      const byType = new Map<TypeUrl, EncodedResource[]>();
      for (const [typeUrl, list] of resources) byType.set(typeUrl, list.map((resource) => this.encode(typeUrl, resource)));
      const previous = cache.getSnapshot(group);
      const snapshot = buildSnapshot(byType, cause);
      cache.setSnapshot(group, snapshot);
      this.computations++;
      const changedTypes = [...snapshot.types].filter(([typeUrl, type]) => previous?.types.get(typeUrl)?.version !== type.version).map(([typeUrl]) => typeUrl);
      this.recordOrigins(group, resources, byType, changedTypes.length > 0);
      if (synced) this.options.onPublished?.(group);
      if (changedTypes.length > 0) this.log.debug({ group, cause, changedTypes }, 'snapshot published');
      return changedTypes;
    } catch (error) {
      this.log.error({ group, cause, err: error }, 'snapshot computation failed; proxies keep the previous one');
      return [];
    }
  }

  /**
   * Records the origin of each resource version of a group's new snapshot. When the snapshot
   * changed, the origins of the one it replaced are kept as the previous ones.
   */
  private recordOrigins(
    group: string,
    resources: ReadonlyMap<TypeUrl, readonly ComputedResource[]>,
    encoded: ReadonlyMap<TypeUrl, readonly EncodedResource[]>,
    changed: boolean,
  ): void {
    const current = new Map<string, ResourceSource>();
    for (const [typeUrl, list] of resources) {
      const versions = encoded.get(typeUrl)!;
      list.forEach((resource, index) => {
        if (resource.origin) current.set(originKey(typeUrl, resource.name, versions[index]!.version), resource.origin);
      });
    }
    const before = this.origins.get(group);
    this.origins.set(group, { current, previous: changed ? before?.current : before?.previous });
  }

  /**
   * Encodes a resource, reusing the bytes when an identical resource was encoded before: most
   * resources are the same for every group, and hashing their JSON is cheaper than encoding them.
   */
  private encode(typeUrl: TypeUrl, resource: ComputedResource): EncodedResource {
    const key = `${typeUrl}\0${resource.name}\0${contentHash(JSON.stringify(resource.message))}`;
    const previous = this.encoded.get(key);
    if (previous) {
      previous.generation = this.generation;
      return previous.resource;
    }
    const encoded = encodeResource(typeUrl, resource.name, resource.message);
    this.encoded.set(key, { generation: this.generation, resource: encoded });
    return encoded;
  }
}

/** Returns the cause recorded with a snapshot and logged with each publish: `registry=N policy=HASH`. */
function causeOf(registryRevision: number, policyRevision: string): string {
  return `registry=${registryRevision} policy=${policyRevision}`;
}

function originKey(typeUrl: string, name: string, version: string): string {
  return `${typeUrl}\0${name}\0${version}`;
}
