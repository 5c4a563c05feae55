import type { Service } from '../../discovery';
import type { ClientKind, FaultPolicy, HashSource, HeaderMatch, RequestPolicy, RetryPolicy, RouteDestination, RouteMatch, TrafficPolicy } from '../model';
import { clusterNameOf } from './cluster';
import { ANY_TYPE_URL, FILTER_NAME, durationOf, fractionalPercentOf, typedConfig, type ProtoObject } from './common';

/** Name of the route that follows a policy's own routes and sends every other request to the whole service. */
export const DEFAULT_ROUTE_NAME = 'default';

/** Returns the name of the cluster, and ClusterLoadAssignment, of a subset: `SERVICE|SUBSET`. */
export function subsetClusterNameOf(service: Pick<Service, 'name'>, subset: string): string {
  return `${clusterNameOf(service)}|${subset}`;
}

/**
 * Builds the routes of a service's virtual host from an effective policy (overrides applied): the
 * policy's routes in order, then a default route to the whole service. A route's own timeout,
 * retries and fault replace the policy's.
 */
export function buildServiceRoutes(service: Service, policy: TrafficPolicy, kind: ClientKind): ProtoObject[] {
  const routes = policy.routes.map((route) => {
    const settings: RequestPolicy = {
      timeoutMs: route.timeoutMs ?? policy.timeoutMs,
      retries: route.retries ?? policy.retries,
      fault: route.fault ?? policy.fault,
    };
    return buildRoute(route.name, buildRouteMatch(route.match), service, route, settings, policy, kind);
  });
  routes.push(buildRoute(DEFAULT_ROUTE_NAME, { prefix: '/' }, service, {}, policy, policy, kind));
  return routes;
}

/** True when a route of the effective policy injects faults, so its listener needs the fault filter. */
export function usesFaultInjection(policy: TrafficPolicy): boolean {
  return policy.fault !== undefined || policy.routes.some((route) => route.fault !== undefined);
}

function buildRoute(
  name: string,
  match: ProtoObject,
  service: Service,
  destination: RouteDestination,
  settings: RequestPolicy,
  policy: TrafficPolicy,
  kind: ClientKind,
): ProtoObject {
  const action: ProtoObject = destinationOf(service, destination);
  if (settings.timeoutMs !== undefined) {
    action.timeout = durationOf(settings.timeoutMs);
    // gRPC clients take the request timeout from max_stream_duration and ignore `timeout`.
    if (kind === 'grpc') action.max_stream_duration = { max_stream_duration: durationOf(settings.timeoutMs) };
  }
  if (settings.retries !== undefined) action.retry_policy = buildRetryPolicy(settings.retries);
  const hashPolicy = policy.loadBalancer.hashOn.map(buildHashPolicy);
  if (hashPolicy.length > 0) action.hash_policy = hashPolicy;

  const route: ProtoObject = { name, match, route: action };
  if (settings.fault !== undefined) {
    route.typed_per_filter_config = { [FILTER_NAME.fault]: buildHttpFault(settings.fault) };
  }
  return route;
}

function destinationOf(service: Service, destination: RouteDestination): ProtoObject {
  const clusterOf = (subset: string | undefined) => (subset === undefined ? clusterNameOf(service) : subsetClusterNameOf(service, subset));
  if (destination.split !== undefined) {
    // Entries of weight 0 are left out: Envoy accepts them, but they only add a cluster to fetch.
    const clusters = destination.split
      .filter((entry) => entry.weight > 0)
      .map((entry) => ({ name: clusterOf(entry.subset), weight: { value: entry.weight } }));
    return { weighted_clusters: { clusters } };
  }
  return { cluster: clusterOf(destination.subset) };
}

/** Builds Envoy's RouteMatch; a gRPC method becomes the path `/SERVICE/METHOD` or the prefix `/SERVICE/`. */
export function buildRouteMatch(match: RouteMatch): ProtoObject {
  const message: ProtoObject = pathMatchOf(match);
  if (match.headers.length > 0) message.headers = match.headers.map(buildHeaderMatcher);
  return message;
}

function pathMatchOf(match: RouteMatch): ProtoObject {
  if (match.grpcMethod !== undefined) {
    const { service, method } = match.grpcMethod;
    return method === undefined ? { prefix: `/${service}/` } : { path: `/${service}/${method}` };
  }
  if (match.path?.exact !== undefined) return { path: match.path.exact };
  if (match.path?.regex !== undefined) return { safe_regex: { regex: match.path.regex } };
  return { prefix: match.path?.prefix ?? '/' };
}

function buildHeaderMatcher(header: HeaderMatch): ProtoObject {
  const message: ProtoObject = { name: header.name };
  if (header.present !== undefined) message.present_match = header.present;
  else if (header.exact !== undefined) message.string_match = { exact: header.exact };
  else if (header.prefix !== undefined) message.string_match = { prefix: header.prefix };
  else if (header.regex !== undefined) message.string_match = { safe_regex: { regex: header.regex } };
  if (header.invert) message.invert_match = true;
  return message;
}

/**
 * Builds Envoy's RetryPolicy. gRPC clients retry only on the gRPC status conditions (cancelled,
 * deadline-exceeded, internal, resource-exhausted, unavailable) and ignore `per_try_timeout`.
 */
function buildRetryPolicy(retries: RetryPolicy): ProtoObject {
  const message: ProtoObject = { retry_on: retries.retryOn.join(','), num_retries: { value: retries.attempts } };
  if (retries.perTryTimeoutMs !== undefined) message.per_try_timeout = durationOf(retries.perTryTimeoutMs);
  if (retries.backoff !== undefined) {
    const backoff: ProtoObject = { base_interval: durationOf(retries.backoff.baseIntervalMs) };
    if (retries.backoff.maxIntervalMs !== undefined) backoff.max_interval = durationOf(retries.backoff.maxIntervalMs);
    message.retry_back_off = backoff;
  }
  return message;
}

/** Builds a hash policy entry. gRPC clients hash on headers only; they ignore cookies and source IPs. */
function buildHashPolicy(source: HashSource): ProtoObject {
  if (source.header !== undefined) return { header: { header_name: source.header } };
  if (source.cookie !== undefined) {
    const cookie: ProtoObject = { name: source.cookie.name };
    if (source.cookie.ttlMs !== undefined) cookie.ttl = durationOf(source.cookie.ttlMs);
    return { cookie };
  }
  return { connection_properties: { source_ip: true } };
}

/** Builds the fault filter's per-route configuration as an `Any`. */
export function buildHttpFault(fault: FaultPolicy | undefined): ProtoObject {
  const config: ProtoObject = {};
  if (fault?.delay !== undefined) {
    config.delay = { fixed_delay: durationOf(fault.delay.fixedDelayMs), percentage: fractionalPercentOf(fault.delay.percent) };
  }
  if (fault?.abort !== undefined) {
    const abort: ProtoObject = { percentage: fractionalPercentOf(fault.abort.percent) };
    if (fault.abort.grpcStatus !== undefined) abort.grpc_status = fault.abort.grpcStatus;
    else abort.http_status = fault.abort.httpStatus;
    config.abort = abort;
  }
  return typedConfig(ANY_TYPE_URL.httpFault, config);
}
