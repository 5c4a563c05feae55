import type { NodeInfo } from './node';
import { checkSnapshot, type Snapshot } from './snapshot';

/** Called with the group's snapshot when a watch starts and whenever the snapshot is replaced. */
export type SnapshotListener = (snapshot: Snapshot) => void;

/** Receives a group's first proxy, so the owner of the cache can compute that group's snapshot. */
export type GroupDemandListener = (group: string, node: NodeInfo) => void;

/**
 * Holds one snapshot per group of proxies and notifies the streams of a group when it changes.
 * The xDS server reads configuration only through this class. Proxies that map to the same group
 * share one snapshot, so the cost of a change grows with the number of groups, not of proxies.
 */
export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watchers = new Map<string, Set<SnapshotListener>>();
  private readonly demandListeners = new Set<GroupDemandListener>();

  /** `groupOf` maps a proxy to its group key; it must be a pure function of the node. */
  constructor(readonly groupOf: (node: NodeInfo) => string) {}

  /**
   * Publishes a group's snapshot to its streams. Throws, and keeps the previous snapshot, when a
   * resource refers to one that the snapshot lacks: such a set would break traffic on the proxy.
   */
  setSnapshot(group: string, snapshot: Snapshot): void {
    const problems = checkSnapshot(snapshot);
    if (problems.length > 0) {
      const listed = problems.slice(0, 5).map((problem) => `${problem.name} refers to missing ${problem.missing.typeUrl} "${problem.missing.name}"`);
      throw new Error(`inconsistent snapshot for group ${group} not published: ${listed.join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    }
    this.snapshots.set(group, snapshot);
    for (const listener of this.watchers.get(group) ?? []) listener(snapshot);
  }

  getSnapshot(group: string): Snapshot | undefined {
    return this.snapshots.get(group);
  }

  /** Removes a group's snapshot; its streams keep what they have until a new one is set. */
  clearSnapshot(group: string): void {
    this.snapshots.delete(group);
  }

  /** Groups with at least one watching stream. */
  activeGroups(): string[] {
    return [...this.watchers.keys()];
  }

  /** Number of streams watching a group: its connected proxies, since each ADS stream is one proxy. */
  watchCount(group: string): number {
    return this.watchers.get(group)?.size ?? 0;
  }

  /** Groups that have a snapshot, watched or not. */
  groups(): string[] {
    return [...this.snapshots.keys()];
  }

  /** Registers a listener for groups that a proxy requests while they have no snapshot. */
  onGroupDemand(listener: GroupDemandListener): () => void {
    this.demandListeners.add(listener);
    return () => this.demandListeners.delete(listener);
  }

  /**
   * Watches the group of `node`. The listener is called at once when the group has a snapshot,
   * and otherwise after the demand listeners have been asked to compute one.
   * Returns a function that cancels the watch.
   */
  watch(node: NodeInfo, listener: SnapshotListener): () => void {
    const group = this.groupOf(node);
    let listeners = this.watchers.get(group);
    if (!listeners) {
      listeners = new Set();
      this.watchers.set(group, listeners);
    }
    listeners.add(listener);

    const snapshot = this.snapshots.get(group);
    if (snapshot) {
      listener(snapshot);
    } else {
      for (const demand of this.demandListeners) demand(group, node);
    }

    return () => {
      const current = this.watchers.get(group);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.watchers.delete(group);
    };
  }
}
