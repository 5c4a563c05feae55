/** Whether one discovery source has delivered its first complete view. */
export interface SourceReadiness {
  name: string;
  synced: boolean;
}

/** Body of `GET /readyz`, returned with 200 when `ready` is true and 503 otherwise. */
export interface Readiness {
  ready: boolean;
  sources: SourceReadiness[];
  /** Reason the control plane is not ready, absent when it is ready. */
  reason?: string;
  /**
   * Where the served snapshots come from: `computed` from synced sources, `restored` from the
   * last known good file while sources sync, or `sync-timeout` from the sources that synced in time.
   */
  servingFrom?: 'computed' | 'restored' | 'sync-timeout';
  /** What an operator should know about `servingFrom`, when it is not `computed`. */
  detail?: string;
}

/**
 * Computes readiness from the discovery sources: ready once every source has synced. With no
 * source at all it is not ready, because an empty registry would push empty endpoint lists.
 */
export function readinessOf(sources: readonly SourceReadiness[]): Readiness {
  const listed = sources.map((source) => ({ name: source.name, synced: source.synced }));
  if (listed.length === 0) {
    return { ready: false, sources: listed, reason: 'no discovery source is configured' };
  }

  const waiting = listed.filter((source) => !source.synced).map((source) => source.name);
  if (waiting.length > 0) {
    return { ready: false, sources: listed, reason: `waiting for discovery sources to sync: ${waiting.join(', ')}` };
  }
  return { ready: true, sources: listed };
}
