import type { DampedChange, EndpointDecision } from './model';

/** The decisions after hold-down, and what changed or waits. */
export interface HoldDownResult {
  decisions: Map<string, EndpointDecision>;
  /** Keys whose health changed in this evaluation. */
  changed: string[];
  damped: DampedChange[];
}

/**
 * Applies hold-down to the health that the votes ask for: an endpoint's health changes at most
 * once per `holdDownMsOf(key)` milliseconds, measured from its previous change, so an endpoint
 * that flaps causes at most one push per hold-down time. An endpoint that never changed (or is
 * new) changes at once, and so does every key in `immediate`: the recent ejections of a held
 * wave, which must not stay ejected for a hold-down time. Endpoints absent from `desired` are
 * dropped from the decisions.
 */
export function applyHoldDown(
  desired: ReadonlyMap<string, boolean>,
  current: ReadonlyMap<string, EndpointDecision>,
  now: number,
  holdDownMsOf: (key: string) => number,
  immediate: ReadonlySet<string> = new Set(),
): HoldDownResult {
  const decisions = new Map<string, EndpointDecision>();
  const changed: string[] = [];
  const damped: DampedChange[] = [];

  for (const [key, healthy] of desired) {
    const decision = current.get(key) ?? { healthy: true, changedAt: 0 };
    if (decision.healthy === healthy) {
      decisions.set(key, decision);
      continue;
    }
    const notBefore = decision.changedAt === 0 || immediate.has(key) ? 0 : decision.changedAt + holdDownMsOf(key);
    if (now < notBefore) {
      decisions.set(key, decision);
      damped.push({ key, healthy, notBefore });
      continue;
    }
    decisions.set(key, { healthy, changedAt: now });
    changed.push(key);
  }
  return { decisions, changed, damped };
}
