import { TYPE_URL, type TypeUrl } from './protos';

/** A resource that another resource names, and so needs on the proxy before it can be used. */
export interface ResourceRef {
  readonly typeUrl: TypeUrl;
  readonly name: string;
}

type PlainObject = { [field: string]: unknown };

const HTTP_CONNECTION_MANAGER =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/**
 * Lists the resources that a resource refers to, read from its protobufjs plain object: the
 * ClusterLoadAssignment of an EDS cluster, the RouteConfiguration of each HttpConnectionManager
 * that uses RDS, and the cluster of each route, weighted cluster and TCP proxy.
 *
 * NOTE: `Any` fields are read only in the `{ '@type', ... }` form. A reference inside an `Any`
 * given as `{ type_url, value }` bytes is not seen.
 */
export function referencesOf(typeUrl: TypeUrl, message: object): ResourceRef[] {
  const resource = message as PlainObject;
  const refs: ResourceRef[] = [];
  const add = (target: TypeUrl, name: string): void => {
    if (!refs.some((ref) => ref.typeUrl === target && ref.name === name)) refs.push({ typeUrl: target, name });
  };

  if (typeUrl === TYPE_URL.cluster) {
    const edsName = edsServiceNameOf(resource);
    if (edsName !== undefined) add(TYPE_URL.clusterLoadAssignment, edsName);
  } else if (typeUrl === TYPE_URL.listener) {
    for (const name of routeConfigNamesOf(resource)) add(TYPE_URL.routeConfiguration, name);
    for (const name of tcpProxyClustersOf(resource)) add(TYPE_URL.cluster, name);
  } else if (typeUrl === TYPE_URL.routeConfiguration) {
    for (const name of routeClustersOf(resource)) add(TYPE_URL.cluster, name);
  }
  return refs;
}

/** Returns the EDS name of an EDS cluster: `service_name`, or the cluster name when it is empty. */
function edsServiceNameOf(cluster: PlainObject): string | undefined {
  if (cluster.type !== 'EDS') return undefined;
  const serviceName = asObject(cluster.eds_cluster_config)?.service_name;
  return typeof serviceName === 'string' && serviceName !== '' ? serviceName : String(cluster.name ?? '');
}

function networkFiltersOf(listener: PlainObject): PlainObject[] {
  const chains = [...asArray(listener.filter_chains), asObject(listener.default_filter_chain)];
  return chains.flatMap((chain) => asArray(chain?.filters));
}

function routeConfigNamesOf(listener: PlainObject): string[] {
  const managers = [
    asObject(asObject(listener.api_listener)?.api_listener),
    ...networkFiltersOf(listener).map((filter) => asObject(filter.typed_config)),
  ].filter((config) => config?.['@type'] === HTTP_CONNECTION_MANAGER);
  return managers
    .map((manager) => asObject(manager?.rds)?.route_config_name)
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

function tcpProxyClustersOf(listener: PlainObject): string[] {
  return networkFiltersOf(listener)
    .map((filter) => asObject(filter.typed_config))
    .filter((config) => config?.['@type'] === TCP_PROXY)
    .map((config) => config?.cluster)
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

function routeClustersOf(routeConfig: PlainObject): string[] {
  const routes = asArray(routeConfig.virtual_hosts).flatMap((virtualHost) => asArray(virtualHost.routes));
  const actions = routes.map((route) => asObject(route.route)).filter((action) => action !== undefined);
  return actions.flatMap((action) => {
    const weighted = asArray(asObject(action.weighted_clusters)?.clusters).map((entry) => entry.name);
    return [action.cluster, ...weighted].filter((name): name is string => typeof name === 'string' && name !== '');
  });
}

function asObject(value: unknown): PlainObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as PlainObject) : undefined;
}

function asArray(value: unknown): PlainObject[] {
  return Array.isArray(value) ? value.map(asObject).filter((item): item is PlainObject => item !== undefined) : [];
}
