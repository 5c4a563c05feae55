import { isScalar } from 'yaml';
import { didYouMean, listKnown, nodeAtPath, type ConfigDocument, type DocumentSet, type SetReporter, type ValidatedDocument } from '../config';
import { SERVICE_ENDPOINTS_KIND, serviceEndpointsKind } from '../discovery';
import { checkLocalityReferences } from './locality-references';
import type { TrafficPolicy } from './model';
import { TRAFFIC_POLICY_KIND, trafficPolicyKind } from './traffic-policy';

/**
 * Checks what TrafficPolicy documents refer to: that `spec.service` names a ServiceEndpoints
 * document, that failover regions are regions where endpoints run, and that no hostname is
 * claimed by two policies.
 *
 * A `to` region without endpoints is an error, because failing over to it can never help. A
 * `from` region without endpoints is only a warning, because clients may run in a region that
 * serves no endpoints of its own, such as an edge site.
 */
export function checkPolicyReferences(set: DocumentSet, report: SetReporter): void {
  const policies = set.of(trafficPolicyKind);
  const services = set.declaredNames(SERVICE_ENDPOINTS_KIND);
  // A file that failed to parse hides its services, so this check would report every policy that names one.
  if (set.allFilesRead()) {
    checkServices(policies, services, report);
    checkServicesOfInvalidPolicies(set.invalid(TRAFFIC_POLICY_KIND), services, report);
  }
  // Regions of services that failed validation are unknown, so regions are checked only when every service is valid.
  if (set.isComplete(SERVICE_ENDPOINTS_KIND)) checkRegions(policies, knownRegions(set), report);
  checkHostnames(policies, report);
  checkPolicyServices(policies, report);
  checkSubsetLabels(policies, set, report);
  checkLocalityReferences(policies, set, report);
}

/** Reports a second policy for a service, which would otherwise be skipped silently when resources are built. */
function checkPolicyServices(policies: readonly ValidatedDocument<TrafficPolicy>[], report: SetReporter): void {
  const owners = new Map<string, TrafficPolicy>();
  for (const { value: policy, document } of policies) {
    const owner = owners.get(policy.service);
    if (owner === undefined) {
      owners.set(policy.service, policy);
      continue;
    }
    const where = `${owner.source.file}:${owner.source.line}:${owner.source.column}`;
    report('MERIDIAN_CONFIG_CONFLICTING_POLICY', document, 'spec.service', `service "${policy.service}" already has TrafficPolicy "${owner.name}" (${where})`, {
      value: policy.service,
      fix: `merge this policy into "${owner.name}"; use spec.overrides for settings of some proxies only`,
    });
  }
}

/** Warns about subsets whose labels match no endpoint of the policy's service. */
function checkSubsetLabels(policies: readonly ValidatedDocument<TrafficPolicy>[], set: DocumentSet, report: SetReporter): void {
  const services = new Map(set.of(serviceEndpointsKind).map((entry) => [entry.name, entry.value]));
  for (const { value: policy, document } of policies) {
    const service = services.get(policy.service);
    if (service === undefined) continue;
    policy.subsets.forEach((subset, index) => {
      const matches = service.endpoints.some((endpoint) => Object.entries(subset.labels).every(([key, value]) => endpoint.labels[key] === value));
      if (matches) return;
      const labels = Object.entries(subset.labels).map(([key, value]) => `${key}=${value}`).join(', ');
      report('MERIDIAN_CONFIG_EMPTY_SUBSET', document, `spec.subsets[${index}].labels`, `subset "${subset.name}" selects no endpoint of service "${policy.service}" (labels ${labels})`, {
        value: subset.labels,
      });
    });
  }
}

function checkServices(policies: readonly ValidatedDocument<TrafficPolicy>[], services: readonly string[], report: SetReporter): void {
  for (const { value: policy, document } of policies) checkService(document, policy.service, services, report);
}

/** Checks `spec.service` of policies with other errors too, so that one run lists every problem. */
function checkServicesOfInvalidPolicies(documents: readonly ConfigDocument[], services: readonly string[], report: SetReporter): void {
  for (const document of documents) {
    const node = nodeAtPath(document, 'spec.service');
    // nodeAtPath returns the deepest node found, so a scalar `spec` must not be taken for the service.
    const service = isScalar(node) && nodeAtPath(document, 'spec') !== node ? node.value : undefined;
    if (typeof service === 'string') checkService(document, service, services, report);
  }
}

function checkService(document: ConfigDocument, service: string, services: readonly string[], report: SetReporter): void {
  if (services.includes(service)) return;
  report(
    'MERIDIAN_CONFIG_UNKNOWN_REFERENCE',
    document,
    'spec.service',
    `unknown service "${service}"${didYouMean(service, services)} (known services: ${listKnown(services)})`,
    { value: service, fix: `name a ServiceEndpoints document in spec.service, or add a ServiceEndpoints document named "${service}"` },
  );
}

function knownRegions(set: DocumentSet): Set<string> {
  const regions = new Set<string>();
  for (const { value: service } of set.of(serviceEndpointsKind)) {
    for (const endpoint of service.endpoints) {
      if (endpoint.locality !== undefined) regions.add(endpoint.locality.region);
    }
  }
  return regions;
}

function checkRegions(policies: readonly ValidatedDocument<TrafficPolicy>[], regions: ReadonlySet<string>, report: SetReporter): void {
  const fix = `use a region that some endpoint's locality names: ${listKnown(regions)}`;
  const message = (region: string): string => `unknown region "${region}"${didYouMean(region, regions)} (known regions: ${listKnown(regions)})`;
  for (const { value: policy, document } of policies) {
    policy.localityLb.failover.forEach((rule, ruleIndex) => {
      const rulePath = `spec.localityLb.failover[${ruleIndex}]`;
      if (!regions.has(rule.from)) {
        report('MERIDIAN_CONFIG_UNKNOWN_REGION', document, `${rulePath}.from`, `${message(rule.from)}; no endpoint runs there`, {
          value: rule.from,
          severity: 'warning',
          fix: 'ignore this when clients run in a region without endpoints; otherwise correct the region',
        });
      }
      rule.to.forEach((region, index) => {
        if (regions.has(region)) return;
        report('MERIDIAN_CONFIG_UNKNOWN_REGION', document, `${rulePath}.to[${index}]`, message(region), { value: region, fix });
      });
    });
  }
}

function checkHostnames(policies: readonly ValidatedDocument<TrafficPolicy>[], report: SetReporter): void {
  const owners = new Map<string, ValidatedDocument<TrafficPolicy>>();
  for (const entry of policies) {
    entry.value.hostnames.forEach((hostname, index) => {
      const owner = owners.get(hostname);
      if (owner === undefined) {
        owners.set(hostname, entry);
        return;
      }
      if (owner === entry) return;
      const where = `${owner.value.source.file}:${owner.value.source.line}:${owner.value.source.column}`;
      report(
        'MERIDIAN_CONFIG_DUPLICATE_HOSTNAME',
        entry.document,
        `spec.hostnames[${index}]`,
        `hostname "${hostname}" is already claimed by TrafficPolicy "${owner.value.name}" (${where})`,
        { value: hostname },
      );
    });
  }
}
