import type { DiscoverySource, Service } from '../discovery';

/**
 * A discovery source whose services the benchmark sets directly, to apply endpoint changes at a
 * fixed rate without editing files. Ranked before the static files, each service it contains
 * replaces the one of the same name in them.
 */
export class MemorySource implements DiscoverySource {
  readonly name = 'benchmark';
  readonly synced = true;
  private readonly byName = new Map<string, Service>();
  private readonly listeners = new Set<() => void>();

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  services(): readonly Service[] {
    return [...this.byName.values()];
  }

  /** Adds or replaces services and notifies the registry once. */
  update(services: readonly Service[]): void {
    for (const service of services) this.byName.set(service.name, service);
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
