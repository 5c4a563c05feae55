import type { Endpoint, RegistrySnapshot, Service } from '../../discovery';
import { TYPE_URL, type TypeUrl } from '../../xds';
import { assignLocalityPriorities } from '../locality';
import type { ClientProfile, TrafficPolicy } from '../model';
import { buildCluster, clusterNameOf } from './cluster';
import type { ProtoObject } from './common';
import { buildClusterLoadAssignment, uniqueEndpoints } from './endpoints';
import { withMeasuredFailover, type HealthInput } from './health';
import { applyOverrides } from '../overrides';
import { buildServiceRoutes, subsetClusterNameOf, usesFaultInjection } from './traffic-routes';
import { buildApiListener, buildHttpOutboundListener, buildTcpOutboundListener } from './listener';
import { buildRouteConfiguration, outboundDomainsOf, type VirtualHostTarget } from './route';

/** One resource in plain-object form, ready for `messageType(...).fromObject(message)`. */
export interface NamedResource {
  name: string;
  message: ProtoObject;
  /**
   * The TrafficPolicy the resource came from, with the position of its document. Undefined for
   * resources that several policies share, such as an Envoy listener of a port.
   */
  origin?: ResourceOrigin;
}

/** The TrafficPolicy a resource came from. */
export interface ResourceOrigin {
  /** `metadata.name` of the TrafficPolicy. */
  policy: string;
  file: string;
  line: number;
  column: number;
}

/** A policy, or a part of one, that produced no resource, and why. */
export interface SkippedPolicy {
  /** `metadata.name` of the TrafficPolicy. */
  policy: string;
  reason: string;
}

/** The resources of one client profile. */
export interface GeneratedResources {
  /** Resources of each type, sorted by name. Every type URL is present, possibly with no resource. */
  byTypeUrl: Record<TypeUrl, NamedResource[]>;
  skipped: SkippedPolicy[];
}

/** A service that a policy exposes, with the hostnames that the policy was given. */
interface Exposure {
  policy: TrafficPolicy;
  service: Service;
  hostnames: string[];
}

/**
 * Computes the Clusters, ClusterLoadAssignments, Listeners and RouteConfigurations that a client
 * of `client.kind` in `client.locality` is sent. A pure function of its inputs.
 *
 * Policies are taken in name order. A policy is skipped when its service is not in the registry
 * or is already exposed by an earlier policy, and a hostname is skipped when an earlier policy
 * claimed it. Proxyless gRPC clients get one API listener and one RouteConfiguration per
 * hostname, both named after the hostname. Envoy gets one outbound listener per service port,
 * with a RouteConfiguration named after the port. A port whose services all use `tcp` gets a TCP
 * proxy to its first service by name instead. Other TCP services on a shared port are skipped,
 * because one plain TCP listener cannot tell their connections apart.
 *
 * `health`, when given, marks endpoints that the probers decided unhealthy as UNHEALTHY, and
 * orders failover regions by measured latency for policies with `failoverOrder: latency`.
 */
export function buildResources(
  registry: RegistrySnapshot,
  policies: readonly TrafficPolicy[],
  client: ClientProfile,
  health?: HealthInput,
): GeneratedResources {
  const skipped: SkippedPolicy[] = [];
  const exposures = collectExposures(registry, policies, skipped);
  const byTypeUrl = emptyByTypeUrl();

  for (const exposure of exposures) {
    exposure.policy = applyOverrides(exposure.policy, client);
    addClusters(exposure, client, health, byTypeUrl);
  }

  if (client.kind === 'grpc') {
    addGrpcListeners(exposures, byTypeUrl);
  } else {
    addEnvoyListeners(exposures, byTypeUrl, skipped);
  }

  for (const resources of Object.values(byTypeUrl)) resources.sort((a, b) => compareStrings(a.name, b.name));
  return { byTypeUrl, skipped };
}

function collectExposures(
  registry: RegistrySnapshot,
  policies: readonly TrafficPolicy[],
  skipped: SkippedPolicy[],
): Exposure[] {
  const exposures: Exposure[] = [];
  const serviceOwners = new Map<string, string>();
  const hostnameOwners = new Map<string, string>();

  for (const policy of [...policies].sort((a, b) => compareStrings(a.name, b.name))) {
    const service = registry.services.get(policy.service);
    if (service === undefined) {
      skipped.push({ policy: policy.name, reason: `service "${policy.service}" is not in the registry` });
      continue;
    }
    const owner = serviceOwners.get(service.name);
    if (owner !== undefined) {
      skipped.push({ policy: policy.name, reason: `service "${service.name}" is already exposed by policy "${owner}"` });
      continue;
    }
    serviceOwners.set(service.name, policy.name);

    const hostnames: string[] = [];
    for (const hostname of policy.hostnames) {
      const hostnameOwner = hostnameOwners.get(hostname);
      if (hostnameOwner !== undefined) {
        skipped.push({ policy: policy.name, reason: `hostname "${hostname}" is already used by policy "${hostnameOwner}"` });
        continue;
      }
      hostnameOwners.set(hostname, policy.name);
      hostnames.push(hostname);
    }
    exposures.push({ policy, service, hostnames });
  }
  return exposures;
}

/**
 * Adds the Cluster and ClusterLoadAssignment of a service, and one of each per subset of its
 * policy, holding the endpoints whose labels include the subset's labels.
 */
function addClusters(exposure: Exposure, client: ClientProfile, health: HealthInput | undefined, byTypeUrl: Record<TypeUrl, NamedResource[]>): void {
  const { policy, service } = exposure;
  const origin = originOf(policy);
  const localityLb = withMeasuredFailover(policy.localityLb, client.locality, health);
  const placement = { cluster: client.cluster, network: client.network, labels: client.labels };
  const endpoints = uniqueEndpoints(service.endpoints);
  const clusters = [
    { name: clusterNameOf(service), endpoints },
    ...policy.subsets.map((subset) => ({ name: subsetClusterNameOf(service, subset.name), endpoints: endpoints.filter((endpoint) => hasLabels(endpoint, subset.labels)) })),
  ];
  for (const { name, endpoints: members } of clusters) {
    const groups = assignLocalityPriorities(members, client.locality, localityLb, placement);
    const options = { clusterName: name, overprovisioningFactor: policy.localityLb.overprovisioningFactor };
    byTypeUrl[TYPE_URL.cluster].push({ name, message: buildCluster(service, client.kind, policy, name), origin });
    byTypeUrl[TYPE_URL.clusterLoadAssignment].push({ name, message: buildClusterLoadAssignment(service, groups, health?.endpointHealth, options), origin });
  }
}

function hasLabels(endpoint: Endpoint, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([key, value]) => endpoint.labels[key] === value);
}

function originOf(policy: TrafficPolicy): ResourceOrigin {
  return { policy: policy.name, file: policy.source.file, line: policy.source.line, column: policy.source.column };
}

function addGrpcListeners(exposures: readonly Exposure[], byTypeUrl: Record<TypeUrl, NamedResource[]>): void {
  for (const { policy, service, hostnames } of exposures) {
    const origin = originOf(policy);
    const routes = buildServiceRoutes(service, policy, 'grpc');
    for (const hostname of hostnames) {
      const target = { name: hostname, domains: [hostname], clusterName: clusterNameOf(service), routes };
      byTypeUrl[TYPE_URL.listener].push({ name: hostname, message: buildApiListener(hostname, hostname, usesFaultInjection(policy)), origin });
      byTypeUrl[TYPE_URL.routeConfiguration].push({ name: hostname, message: buildRouteConfiguration(hostname, [target]), origin });
    }
  }
}

function addEnvoyListeners(
  exposures: readonly Exposure[],
  byTypeUrl: Record<TypeUrl, NamedResource[]>,
  skipped: SkippedPolicy[],
): void {
  for (const [port, onPort] of groupByPort(exposures)) {
    const http = onPort.filter((exposure) => exposure.service.protocol !== 'tcp');
    const tcp = onPort.filter((exposure) => exposure.service.protocol === 'tcp');

    if (http.length > 0) {
      const routeConfigName = String(port);
      const faultFilter = http.some((exposure) => usesFaultInjection(exposure.policy));
      byTypeUrl[TYPE_URL.listener].push(namedListener(buildHttpOutboundListener(port, routeConfigName, faultFilter)));
      byTypeUrl[TYPE_URL.routeConfiguration].push({
        name: routeConfigName,
        message: buildRouteConfiguration(routeConfigName, virtualHostsOf(http, port)),
      });
    } else {
      byTypeUrl[TYPE_URL.listener].push(namedListener(buildTcpOutboundListener(port, clusterNameOf(tcp[0].service))));
    }

    const forwarded = http.length > 0 ? undefined : tcp[0];
    for (const exposure of tcp) {
      if (exposure === forwarded) continue;
      skipped.push({
        policy: exposure.policy.name,
        reason: `tcp service "${exposure.service.name}" shares port ${port} with other services, so Envoy gets no listener for it`,
      });
    }
  }
}

/** Groups exposures by service port, ports ascending and services by name within a port. */
function groupByPort(exposures: readonly Exposure[]): Map<number, Exposure[]> {
  const byPort = new Map<number, Exposure[]>();
  const sorted = [...exposures].sort(
    (a, b) => a.service.port - b.service.port || compareStrings(a.service.name, b.service.name),
  );
  for (const exposure of sorted) {
    const onPort = byPort.get(exposure.service.port) ?? [];
    onPort.push(exposure);
    byPort.set(exposure.service.port, onPort);
  }
  return byPort;
}

/** Builds one virtual host per service, dropping domains that an earlier virtual host uses. */
function virtualHostsOf(exposures: readonly Exposure[], port: number): VirtualHostTarget[] {
  const usedDomains = new Set<string>();
  const targets: VirtualHostTarget[] = [];
  for (const { policy, service, hostnames } of exposures) {
    const domains = outboundDomainsOf(hostnames, port).filter((domain) => !usedDomains.has(domain));
    if (domains.length === 0) continue;
    for (const domain of domains) usedDomains.add(domain);
    targets.push({ name: service.name, domains, clusterName: clusterNameOf(service), routes: buildServiceRoutes(service, policy, 'envoy') });
  }
  return targets;
}

function namedListener(message: ProtoObject): NamedResource {
  return { name: String(message.name), message };
}

function emptyByTypeUrl(): Record<TypeUrl, NamedResource[]> {
  return {
    [TYPE_URL.cluster]: [],
    [TYPE_URL.clusterLoadAssignment]: [],
    [TYPE_URL.listener]: [],
    [TYPE_URL.routeConfiguration]: [],
  };
}

function compareStrings(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
