import { listKnown, type DocumentSet, type SetReporter, type ValidatedDocument } from '../config';
import { SERVICE_ENDPOINTS_KIND, serviceEndpointsKind, type Service } from '../discovery';
import { matchesLocality } from './locality';
import type { TrafficPolicy } from './model';

/**
 * Warns about distribute patterns and override regions that match nothing in the mesh. Both are
 * warnings: the configuration still works, but a typo would otherwise go unnoticed, because the
 * pattern's share silently moves to the other patterns and the override silently selects no proxy.
 */
export function checkLocalityReferences(policies: readonly ValidatedDocument<TrafficPolicy>[], set: DocumentSet, report: SetReporter): void {
  // Localities of services that failed validation are unknown, so nothing is checked then.
  if (!set.isComplete(SERVICE_ENDPOINTS_KIND)) return;
  const services = new Map(set.of(serviceEndpointsKind).map((entry) => [entry.name, entry.value]));
  checkDistributeTargets(policies, services, report);
  checkOverrideRegions(policies, services, report);
}

function checkDistributeTargets(policies: readonly ValidatedDocument<TrafficPolicy>[], services: ReadonlyMap<string, Service>, report: SetReporter): void {
  for (const { value: policy, document } of policies) {
    const service = services.get(policy.service);
    if (service === undefined) continue;
    const localities = service.endpoints.flatMap((endpoint) => (endpoint.locality === undefined ? [] : [endpoint.locality]));
    policy.localityLb.distribute.forEach((rule, ruleIndex) => {
      for (const target of rule.to) {
        if (localities.some((locality) => matchesLocality(target.locality, locality))) continue;
        report(
          'MERIDIAN_CONFIG_UNMATCHED_LOCALITY',
          document,
          `spec.localityLb.distribute[${ruleIndex}].to.${target.locality}`,
          `locality pattern "${target.locality}" matches no endpoint of service "${policy.service}", so its ${target.percent}% goes to the rule's other patterns`,
          {
            value: target.locality,
            fix: `correct the pattern; the localities of "${policy.service}" are ${listKnown(new Set(localities.map(localityText)))}`,
          },
        );
      }
    });
  }
}

function checkOverrideRegions(policies: readonly ValidatedDocument<TrafficPolicy>[], services: ReadonlyMap<string, Service>, report: SetReporter): void {
  const known = knownClientRegions(policies, services);
  for (const { value: policy, document } of policies) {
    policy.overrides.forEach((override, index) => {
      const region = override.clients.region;
      if (region === undefined || known.regions.has(region) || known.anyRegion) return;
      report(
        'MERIDIAN_CONFIG_UNMATCHED_OVERRIDE',
        document,
        `spec.overrides[${index}].clients.region`,
        `override selects region "${region}", where no endpoint of any service runs and no failover or distribute rule starts`,
        {
          value: region,
          fix: `correct the region (known regions: ${listKnown(known.regions)}); ignore this when clients run in "${region}" without endpoints or rules`,
        },
      );
    });
  }
}

/**
 * Returns the regions where clients are known to run: those of any service's endpoints, and the
 * `from` regions of every failover and distribute rule. `anyRegion` is true when a distribute rule
 * starts from every region (`*`).
 */
function knownClientRegions(policies: readonly ValidatedDocument<TrafficPolicy>[], services: ReadonlyMap<string, Service>): { regions: Set<string>; anyRegion: boolean } {
  const regions = new Set<string>();
  let anyRegion = false;
  for (const service of services.values()) {
    for (const endpoint of service.endpoints) {
      if (endpoint.locality !== undefined) regions.add(endpoint.locality.region);
    }
  }
  for (const { value: policy } of policies) {
    for (const rule of policy.localityLb.failover) regions.add(rule.from);
    for (const rule of policy.localityLb.distribute) {
      const region = rule.from.split('/')[0];
      if (region === '*') anyRegion = true;
      else regions.add(region);
    }
  }
  return { regions, anyRegion };
}

function localityText(locality: { region: string; zone: string; subZone: string }): string {
  return [locality.region, locality.zone, locality.subZone].filter((part) => part !== '').join('/');
}
