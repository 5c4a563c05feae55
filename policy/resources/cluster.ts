import type { Service } from '../../discovery';
import type {
  CircuitBreakerPolicy,
  CircuitBreakerThresholds,
  ClientKind,
  LoadBalancerAlgorithm,
  LoadBalancerPolicy,
  OutlierDetectionPolicy,
  TrafficPolicy,
} from '../model';
import { ANY_TYPE_URL, FILTER_NAME, adsConfigSource, durationOf, typedConfig, type ProtoObject } from './common';

/** Time a client waits for a TCP connection to an endpoint, the same as Envoy's default. */
export const CONNECT_TIMEOUT_SECONDS = 5;

/**
 * Returns the name of the cluster, and of its ClusterLoadAssignment, for a service. It is the
 * registry name itself (for example `checkout.shop`), which is unique across the mesh.
 */
export function clusterNameOf(service: Pick<Service, 'name'>): string {
  return service.name;
}

/**
 * Builds the Cluster `name` of a service under a policy: EDS over ADS, the policy's load
 * balancing, circuit breakers, outlier detection and panic threshold. Round robin clusters use
 * Envoy's locality-weighted load balancing, so the weights of the ClusterLoadAssignment apply.
 *
 * Proxyless gRPC clients (grpc-js-xds 1.14) support only ROUND_ROBIN and RING_HASH in `lb_policy`
 * and reject a cluster with any other, so they are sent ROUND_ROBIN for `leastRequest` and
 * `random`, and RING_HASH for `maglev`. They map ROUND_ROBIN to `xds_wrr_locality`, so locality
 * weights apply to them whatever `common_lb_config` contains.
 */
export function buildCluster(service: Service, kind: ClientKind, policy?: ClusterSettings, name = clusterNameOf(service)): ProtoObject {
  const algorithm = policy?.loadBalancer.algorithm ?? 'roundRobin';
  const lbPolicy = kind === 'grpc' ? GRPC_LB_POLICY[algorithm] : ENVOY_LB_POLICY[algorithm];
  const cluster: ProtoObject = {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource(), service_name: name },
    connect_timeout: { seconds: CONNECT_TIMEOUT_SECONDS },
    lb_policy: lbPolicy,
  };
  const commonLbConfig: ProtoObject = {};
  // Envoy's locality-weighted balancing works with the per-host balancers, not with hashing ones.
  if (lbPolicy !== 'RING_HASH' && lbPolicy !== 'MAGLEV') commonLbConfig.locality_weighted_lb_config = {};
  if (policy?.localityLb.panicThreshold !== undefined) commonLbConfig.healthy_panic_threshold = { value: policy.localityLb.panicThreshold };
  if (Object.keys(commonLbConfig).length > 0) cluster.common_lb_config = commonLbConfig;

  if (lbPolicy === 'RING_HASH') cluster.ring_hash_lb_config = ringHashConfig(policy?.loadBalancer);
  if (policy?.circuitBreakers !== undefined) cluster.circuit_breakers = buildCircuitBreakers(policy.circuitBreakers);
  if (policy?.outlierDetection !== undefined) cluster.outlier_detection = buildOutlierDetection(policy.outlierDetection);

  // Envoy speaks HTTP/1.1 to upstreams unless configured otherwise, and gRPC needs HTTP/2.
  // Proxyless gRPC clients always use HTTP/2, so they are not sent the option.
  if (kind === 'envoy' && service.protocol === 'grpc') {
    cluster.typed_extension_protocol_options = {
      [FILTER_NAME.httpProtocolOptions]: typedConfig(ANY_TYPE_URL.httpProtocolOptions, {
        explicit_http_config: { http2_protocol_options: {} },
      }),
    };
  }

  return cluster;
}

/** The policy settings a Cluster carries. */
export type ClusterSettings = Pick<TrafficPolicy, 'loadBalancer' | 'circuitBreakers' | 'outlierDetection' | 'localityLb'>;

const ENVOY_LB_POLICY: Record<LoadBalancerAlgorithm, string> = {
  roundRobin: 'ROUND_ROBIN',
  leastRequest: 'LEAST_REQUEST',
  ringHash: 'RING_HASH',
  random: 'RANDOM',
  maglev: 'MAGLEV',
};

const GRPC_LB_POLICY: Record<LoadBalancerAlgorithm, string> = {
  roundRobin: 'ROUND_ROBIN',
  leastRequest: 'ROUND_ROBIN',
  ringHash: 'RING_HASH',
  random: 'ROUND_ROBIN',
  maglev: 'RING_HASH',
};

function ringHashConfig(loadBalancer: LoadBalancerPolicy | undefined): ProtoObject {
  // gRPC clients reject every hash function but XX_HASH, which Envoy supports too.
  const config: ProtoObject = { hash_function: 'XX_HASH' };
  if (loadBalancer?.minimumRingSize !== undefined) config.minimum_ring_size = { value: loadBalancer.minimumRingSize };
  if (loadBalancer?.maximumRingSize !== undefined) config.maximum_ring_size = { value: loadBalancer.maximumRingSize };
  return config;
}

/**
 * Builds Envoy's circuit breakers. gRPC clients read only `max_requests` of the DEFAULT priority,
 * and fail calls above it at once with UNAVAILABLE.
 */
function buildCircuitBreakers(policy: CircuitBreakerPolicy): ProtoObject {
  const thresholds = [buildThresholds('DEFAULT', policy.default)];
  if (policy.high !== undefined) thresholds.push(buildThresholds('HIGH', policy.high));
  return { thresholds };
}

function buildThresholds(priority: string, thresholds: CircuitBreakerThresholds): ProtoObject {
  const message: ProtoObject = { priority };
  if (thresholds.maxConnections !== undefined) message.max_connections = { value: thresholds.maxConnections };
  if (thresholds.maxPendingRequests !== undefined) message.max_pending_requests = { value: thresholds.maxPendingRequests };
  if (thresholds.maxRequests !== undefined) message.max_requests = { value: thresholds.maxRequests };
  if (thresholds.maxRetries !== undefined) message.max_retries = { value: thresholds.maxRetries };
  if (thresholds.retryBudget !== undefined) {
    const budget: ProtoObject = { budget_percent: { value: thresholds.retryBudget.percent } };
    if (thresholds.retryBudget.minRetryConcurrency !== undefined) budget.min_retry_concurrency = { value: thresholds.retryBudget.minRetryConcurrency };
    message.retry_budget = budget;
  }
  return message;
}

/**
 * Builds Envoy's outlier detection with only the policy's detectors enforced. Envoy enforces
 * consecutive 5xx and success rate by default, so those are set to 0% when the policy
 * leaves them out. gRPC clients implement only success-rate and failure-percentage ejection; they
 * ignore the consecutive-error detectors.
 */
export function buildOutlierDetection(policy: OutlierDetectionPolicy): ProtoObject {
  const message: ProtoObject = {
    interval: durationOf(policy.intervalMs),
    base_ejection_time: durationOf(policy.baseEjectionTimeMs),
    max_ejection_percent: { value: policy.maxEjectionPercent },
    enforcing_consecutive_5xx: { value: policy.consecutive5xx === undefined ? 0 : 100 },
    enforcing_success_rate: { value: policy.successRate?.enforcingPercent ?? 0 },
  };
  if (policy.maxEjectionTimeMs !== undefined) message.max_ejection_time = durationOf(policy.maxEjectionTimeMs);
  if (policy.consecutive5xx !== undefined) message.consecutive_5xx = { value: policy.consecutive5xx };
  if (policy.consecutiveGatewayErrors !== undefined) {
    message.consecutive_gateway_failure = { value: policy.consecutiveGatewayErrors };
    message.enforcing_consecutive_gateway_failure = { value: 100 };
  }
  if (policy.consecutiveLocalOriginFailures !== undefined) {
    // Envoy counts locally originated failures apart only when the split is on.
    message.split_external_local_origin_errors = true;
    message.consecutive_local_origin_failure = { value: policy.consecutiveLocalOriginFailures };
    message.enforcing_consecutive_local_origin_failure = { value: 100 };
  }
  const successRate = policy.successRate;
  if (successRate !== undefined) {
    if (successRate.minimumHosts !== undefined) message.success_rate_minimum_hosts = { value: successRate.minimumHosts };
    if (successRate.requestVolume !== undefined) message.success_rate_request_volume = { value: successRate.requestVolume };
    if (successRate.stdevFactor !== undefined) message.success_rate_stdev_factor = { value: successRate.stdevFactor };
  }
  const failurePercentage = policy.failurePercentage;
  if (failurePercentage !== undefined) {
    message.failure_percentage_threshold = { value: failurePercentage.thresholdPercent };
    message.enforcing_failure_percentage = { value: failurePercentage.enforcingPercent };
    if (failurePercentage.minimumHosts !== undefined) message.failure_percentage_minimum_hosts = { value: failurePercentage.minimumHosts };
    if (failurePercentage.requestVolume !== undefined) message.failure_percentage_request_volume = { value: failurePercentage.requestVolume };
  }
  return message;
}
