import { TYPE_URL, type TypeUrl } from '../../xds';
import { ANY_TYPE_URL, type ProtoObject } from './common';
import type { GeneratedResources, NamedResource } from './build';

/** A reference from one resource to a resource that the set does not contain. */
export interface ConsistencyProblem {
  typeUrl: TypeUrl;
  /** Name of the resource that holds the reference. */
  name: string;
  /** Type URL and name of the missing resource. */
  missing: { typeUrl: TypeUrl; name: string };
  message: string;
}

/**
 * Checks that every resource a set refers to is in the set: the ClusterLoadAssignment named by
 * each EDS cluster, the RouteConfiguration named by each HttpConnectionManager that uses RDS, and
 * the cluster named by each route and TCP proxy. Returns one problem per missing reference, or an
 * empty list.
 *
 * NOTE: `Any` fields are read in the `{ '@type', ... }` form that the policy builders produce. A
 * reference inside an `Any` given as `{ type_url, value }` bytes is not checked.
 */
export function checkConsistency(resources: GeneratedResources): ConsistencyProblem[] {
  const names = (typeUrl: TypeUrl) => new Set(resources.byTypeUrl[typeUrl].map((resource) => resource.name));
  const present = new Map<TypeUrl, Set<string>>([
    [TYPE_URL.cluster, names(TYPE_URL.cluster)],
    [TYPE_URL.clusterLoadAssignment, names(TYPE_URL.clusterLoadAssignment)],
    [TYPE_URL.routeConfiguration, names(TYPE_URL.routeConfiguration)],
  ]);

  const problems: ConsistencyProblem[] = [];
  const expect = (holder: NamedResource, typeUrl: TypeUrl, holderType: TypeUrl, name: string) => {
    if (present.get(typeUrl)?.has(name)) return;
    problems.push({
      typeUrl: holderType,
      name: holder.name,
      missing: { typeUrl, name },
      message: `${kindOf(holderType)} "${holder.name}" refers to ${kindOf(typeUrl)} "${name}", which is not in the resource set`,
    });
  };

  for (const cluster of resources.byTypeUrl[TYPE_URL.cluster]) {
    const edsName = edsServiceNameOf(cluster.message);
    if (edsName !== undefined) expect(cluster, TYPE_URL.clusterLoadAssignment, TYPE_URL.cluster, edsName);
  }
  for (const listener of resources.byTypeUrl[TYPE_URL.listener]) {
    for (const name of routeConfigNamesOf(listener.message)) {
      expect(listener, TYPE_URL.routeConfiguration, TYPE_URL.listener, name);
    }
    for (const name of tcpProxyClustersOf(listener.message)) expect(listener, TYPE_URL.cluster, TYPE_URL.listener, name);
  }
  for (const routeConfig of resources.byTypeUrl[TYPE_URL.routeConfiguration]) {
    for (const name of routeClustersOf(routeConfig.message)) {
      expect(routeConfig, TYPE_URL.cluster, TYPE_URL.routeConfiguration, name);
    }
  }
  return problems;
}

/** Returns the EDS name of an EDS cluster (`service_name`, or the cluster name when empty). */
function edsServiceNameOf(cluster: ProtoObject): string | undefined {
  if (cluster.type !== 'EDS') return undefined;
  const serviceName = asObject(cluster.eds_cluster_config)?.service_name;
  return typeof serviceName === 'string' && serviceName !== '' ? serviceName : String(cluster.name ?? '');
}

/** Returns the network filters of a listener's filter chains and of its default filter chain. */
function networkFiltersOf(listener: ProtoObject): ProtoObject[] {
  const chains = [...asArray(listener.filter_chains), asObject(listener.default_filter_chain)];
  return chains.flatMap((chain) => asArray(chain?.filters));
}

/** Returns every HttpConnectionManager of a listener, from its API listener and network filters. */
function connectionManagersOf(listener: ProtoObject): ProtoObject[] {
  const candidates = [
    asObject(asObject(listener.api_listener)?.api_listener),
    ...networkFiltersOf(listener).map((filter) => asObject(filter.typed_config)),
  ];
  return candidates.filter((config): config is ProtoObject => config?.['@type'] === ANY_TYPE_URL.httpConnectionManager);
}

function routeConfigNamesOf(listener: ProtoObject): string[] {
  return connectionManagersOf(listener)
    .map((manager) => asObject(manager.rds)?.route_config_name)
    .filter((name): name is string => typeof name === 'string');
}

function tcpProxyClustersOf(listener: ProtoObject): string[] {
  return networkFiltersOf(listener)
    .map((filter) => asObject(filter.typed_config))
    .filter((config) => config?.['@type'] === ANY_TYPE_URL.tcpProxy)
    .map((config) => config?.cluster)
    .filter((name): name is string => typeof name === 'string');
}

function routeClustersOf(routeConfig: ProtoObject): string[] {
  const routes = asArray(routeConfig.virtual_hosts).flatMap((virtualHost) => asArray(virtualHost.routes));
  const actions = routes.map((route) => asObject(route.route)).filter((action) => action !== undefined);
  return actions.flatMap((action) => {
    const weighted = asArray(asObject(action.weighted_clusters)?.clusters).map((entry) => entry.name);
    return [action.cluster, ...weighted].filter((name): name is string => typeof name === 'string');
  });
}

function kindOf(typeUrl: TypeUrl): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

function asObject(value: unknown): ProtoObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ProtoObject) : undefined;
}

function asArray(value: unknown): ProtoObject[] {
  return Array.isArray(value) ? value.map(asObject).filter((item): item is ProtoObject => item !== undefined) : [];
}
