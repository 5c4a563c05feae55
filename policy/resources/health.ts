import type { Locality } from '../../discovery';
import type { LocalityLbPolicy } from '../model';

/** Engine inputs from the health prober mesh. Both parts are optional. */
export interface HealthInput {
  /** Decided health of an endpoint of a service; undefined when no prober checks it. */
  endpointHealth?(service: string, address: string, port: number): boolean | undefined;
  /** Regions other than `region`, nearest first by measured round-trip time; empty when unmeasured. */
  regionOrder?(region: string): readonly string[];
}

/**
 * Returns the locality settings with the client region's failover rule replaced by the measured
 * order when the policy sets `failoverOrder: latency`: measured regions nearest first, then
 * the rule's remaining regions in their written order. Returns `settings` unchanged otherwise.
 */
export function withMeasuredFailover<T extends Pick<LocalityLbPolicy, 'failover' | 'failoverOrder'>>(
  settings: T,
  client: Locality | undefined,
  health: HealthInput | undefined,
): T {
  if (settings.failoverOrder !== 'latency' || client === undefined || client.region === '' || health?.regionOrder === undefined) return settings;
  const measured = health.regionOrder(client.region).filter((region) => region !== client.region);
  if (measured.length === 0) return settings;

  const written = settings.failover.find((rule) => rule.from === client.region)?.to ?? [];
  const to = [...measured, ...written.filter((region) => !measured.includes(region))];
  const failover = [...settings.failover.filter((rule) => rule.from !== client.region), { from: client.region, to }];
  return { ...settings, failover };
}
