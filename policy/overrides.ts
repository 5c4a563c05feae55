import type { ClientProfile, ClientSelector, PolicyOverride, TrafficPolicy } from './model';

/** True when an override's selector matches the proxy: every field it sets must be equal. */
export function selectsClient(selector: ClientSelector, client: ClientProfile): boolean {
  if (selector.region !== undefined && client.locality?.region !== selector.region) return false;
  if (selector.zone !== undefined && client.locality?.zone !== selector.zone) return false;
  if (selector.cluster !== undefined && client.cluster !== selector.cluster) return false;
  return Object.entries(selector.metadata).every(([key, value]) => client.labels?.[key] === value);
}

/**
 * Specificity of a selector: one point per field it sets (region, zone, cluster, each metadata
 * key). Of two matching overrides that set the same field, the more specific one wins.
 */
export function specificityOf(selector: ClientSelector): number {
  const fields = [selector.region, selector.zone, selector.cluster].filter((field) => field !== undefined).length;
  return fields + Object.keys(selector.metadata).length;
}

/**
 * Returns the policy in force for proxies of `client`: each setting of the matching overrides
 * replaces the policy's, field by field. Overrides apply from the least to the most specific, and
 * among equally specific ones in list order, so the most specific one, then the last one, wins.
 * Overrides replace the policy-level settings only; a route's own timeout, retries or fault still
 * win for that route.
 */
export function applyOverrides(policy: TrafficPolicy, client: ClientProfile): TrafficPolicy {
  const matching = matchingOverrides(policy, client);
  if (matching.length === 0) return policy;

  const effective: TrafficPolicy = { ...policy };
  for (const { override } of matching) applyOverride(effective, override);
  return effective;
}

/**
 * Returns the overrides that select `client`, with their index in `spec.overrides`, in the order
 * `applyOverrides` applies them: the least specific first, and list order among equals.
 */
export function matchingOverrides(policy: TrafficPolicy, client: ClientProfile): { override: PolicyOverride; index: number }[] {
  return policy.overrides
    .map((override, index) => ({ override, index }))
    .filter(({ override }) => selectsClient(override.clients, client))
    .sort((a, b) => specificityOf(a.override.clients) - specificityOf(b.override.clients) || a.index - b.index);
}

function applyOverride(policy: TrafficPolicy, override: PolicyOverride): void {
  if (override.timeoutMs !== undefined) policy.timeoutMs = override.timeoutMs;
  if (override.retries !== undefined) policy.retries = override.retries;
  if (override.fault !== undefined) policy.fault = override.fault;
  if (override.loadBalancer !== undefined) policy.loadBalancer = override.loadBalancer;
  if (override.circuitBreakers !== undefined) policy.circuitBreakers = override.circuitBreakers;
  if (override.outlierDetection !== undefined) policy.outlierDetection = override.outlierDetection;
}
