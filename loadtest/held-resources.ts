import type { AggregateFacts, ResourceFacts } from './resource-facts';

/**
 * The resources of one type that a delta proxy holds, with their aggregate facts kept up to date
 * per added and removed resource. Recomputing the aggregate over every held resource on each
 * response made the simulator's work grow with the size of the mesh rather than of the change.
 */
export class HeldResources {
  private readonly byName = new Map<string, ResourceFacts>();
  private readonly dependencyCounts = new Map<string, number>();
  /** Sorted dependency names, or undefined when a name was added or dropped since it was built. */
  private dependencyList: string[] | undefined = [];
  private http2 = 0;
  private marker = 0;
  private markerStale = false;
  private generation = Number.POSITIVE_INFINITY;
  private generationStale = false;

  set(name: string, facts: ResourceFacts): void {
    const previous = this.byName.get(name);
    if (previous === facts) return;
    this.byName.set(name, facts);
    // Adding first keeps a dependency that both versions name from dropping out of the list.
    this.add(facts);
    if (previous) this.subtract(previous);
  }

  delete(name: string): void {
    const previous = this.byName.get(name);
    if (!previous) return;
    this.byName.delete(name);
    this.subtract(previous);
  }

  /** Returns the aggregate facts. `dependencies` is the same array until the set of names changes. */
  facts(): AggregateFacts {
    if (this.markerStale) {
      this.marker = 0;
      for (const facts of this.byName.values()) this.marker = Math.max(this.marker, facts.marker);
      this.markerStale = false;
    }
    if (this.generationStale) {
      this.generation = Number.POSITIVE_INFINITY;
      for (const facts of this.byName.values()) this.generation = Math.min(this.generation, facts.generation);
      this.generationStale = false;
    }
    this.dependencyList ??= [...this.dependencyCounts.keys()].sort();
    return {
      dependencies: this.dependencyList,
      http2: this.http2,
      marker: this.marker,
      generation: Number.isFinite(this.generation) ? this.generation : 0,
    };
  }

  private add(facts: ResourceFacts): void {
    this.http2 += facts.http2;
    for (const name of facts.dependencies) {
      const count = this.dependencyCounts.get(name) ?? 0;
      if (count === 0) this.dependencyList = undefined;
      this.dependencyCounts.set(name, count + 1);
    }
    if (!this.markerStale) this.marker = Math.max(this.marker, facts.marker);
    if (!this.generationStale) this.generation = Math.min(this.generation, facts.generation);
  }

  private subtract(facts: ResourceFacts): void {
    this.http2 -= facts.http2;
    for (const name of facts.dependencies) {
      const count = this.dependencyCounts.get(name) ?? 0;
      if (count <= 1) {
        this.dependencyCounts.delete(name);
        this.dependencyList = undefined;
      } else {
        this.dependencyCounts.set(name, count - 1);
      }
    }
    // The maximum or minimum may have left with this resource; recompute it when next read.
    if (facts.marker > 0 && facts.marker >= this.marker) this.markerStale = true;
    if (facts.generation <= this.generation) this.generationStale = true;
  }
}
