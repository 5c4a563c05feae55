import type { Locality } from '../discovery';
import type { HealthCheckPolicy } from './health-check';

/** Position of a validated value in the operator's YAML. */
export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** Failover order for clients in one region: the regions to try next, nearest first. */
export interface FailoverRule {
  from: string;
  to: readonly string[];
}

/**
 * A locality pattern: `REGION`, `REGION/ZONE` or `REGION/ZONE/SUB_ZONE`, where any part may be `*`
 * and missing trailing parts match anything. For example `eu-west/*` or `eu-west/eu-west-1a`.
 */
export type LocalityPattern = string;

/**
 * Weighted distribution for clients in the localities that `from` matches: each `to` pattern
 * receives its percentage of the requests, shared between the localities it matches in
 * proportion to their endpoint weights. The percentages add up to 100.
 */
export interface DistributeRule {
  from: LocalityPattern;
  to: readonly { locality: LocalityPattern; percent: number }[];
}

/**
 * A property that an endpoint shares, or not, with the client, in the spirit of Istio's
 * failoverPriority: `cluster` (the Kubernetes cluster or site), `network`, or `label:KEY` for an
 * endpoint label compared with the same key of the client's group labels.
 */
export type FailoverPriorityKey = string;

/** Locality-aware load balancing of one service. */
export interface LocalityLbPolicy {
  /** When false, every endpoint gets priority 0 and localities are not distinguished ("off"). */
  enabled: boolean;
  /** Nearest-first failover order per client region. Empty when `distribute` is used. */
  failover: readonly FailoverRule[];
  /** Weighted distribution per client locality. Empty when `failover` is used. */
  distribute: readonly DistributeRule[];
  /**
   * Endpoint properties to prefer, most important first. Endpoints that share all of them with the
   * client come first, then those that share all but the last, and so on. Locality ordering
   * applies within each of these levels.
   */
  failoverPriority: readonly FailoverPriorityKey[];
  /**
   * Envoy's overprovisioning factor in percent (`ClusterLoadAssignment.policy`): a priority whose
   * healthy share times this factor is below 100% spills traffic to the next priority. Undefined
   * leaves Envoy's default of 140.
   */
  overprovisioningFactor?: number;
  /**
   * Envoy's healthy panic threshold in percent (`common_lb_config.healthy_panic_threshold`): below
   * this healthy share Envoy balances over all hosts of the priority set. Undefined leaves Envoy's
   * default of 50, and 0 disables panic mode.
   */
  panicThreshold?: number;
  /**
   * How regions after the client's own are ordered: `rules` follows `failover`, and `latency`
   * orders them by the round-trip times that probers measure, nearest first, with the regions
   * that have no measurement after them in `failover` order. Undefined means `rules`.
   */
  failoverOrder?: 'rules' | 'latency';
}

/** Load balancing algorithm over the endpoints of one locality. */
export type LoadBalancerAlgorithm = 'roundRobin' | 'leastRequest' | 'ringHash' | 'random' | 'maglev';

/** One input of a consistent hash, for `ringHash` and `maglev`. Exactly one field is set. */
export interface HashSource {
  /** Hash on the value of this request header (lowercase). */
  header?: string;
  /** Hash on this cookie; Envoy creates it with `ttlMs` when it is missing and `ttlMs` is set. */
  cookie?: { name: string; ttlMs?: number };
  /** Hash on the client's source IP address. */
  sourceIp?: boolean;
}

/** Load balancing within a locality. */
export interface LoadBalancerPolicy {
  algorithm: LoadBalancerAlgorithm;
  /** Consistent-hash inputs, in order; only for `ringHash` and `maglev`. */
  hashOn: readonly HashSource[];
  /** Ring size bounds of `ringHash`; undefined leaves the client's defaults (1024 and 8M). */
  minimumRingSize?: number;
  maximumRingSize?: number;
}

/** Envoy's retry budget: retries may add at most `percent` of the active requests. */
export interface RetryBudget {
  percent: number;
  minRetryConcurrency?: number;
}

/** Circuit breaker thresholds of one routing priority. Undefined fields keep Envoy's defaults (1024, 3 for retries). */
export interface CircuitBreakerThresholds {
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRetries?: number;
  retryBudget?: RetryBudget;
}

/** Circuit breakers of a cluster, per Envoy routing priority. */
export interface CircuitBreakerPolicy {
  default: CircuitBreakerThresholds;
  high?: CircuitBreakerThresholds;
}

/** Success-rate ejection: hosts whose success rate is far below the mean are ejected. */
export interface SuccessRateEjection {
  minimumHosts?: number;
  requestVolume?: number;
  /** Ejection below mean − stdevFactor/1000 × standard deviation (Envoy's unit). */
  stdevFactor?: number;
  enforcingPercent: number;
}

/** Failure-percentage ejection: hosts whose failure share exceeds `thresholdPercent` are ejected. */
export interface FailurePercentageEjection {
  thresholdPercent: number;
  minimumHosts?: number;
  requestVolume?: number;
  enforcingPercent: number;
}

/**
 * Outlier detection of a cluster. Only the detectors that are set are enforced; Meridian turns
 * off Envoy's defaults (consecutive 5xx and success rate) for the ones that are not.
 */
export interface OutlierDetectionPolicy {
  consecutive5xx?: number;
  consecutiveGatewayErrors?: number;
  /** Consecutive locally originated failures (connect errors, timeouts, resets). */
  consecutiveLocalOriginFailures?: number;
  successRate?: SuccessRateEjection;
  failurePercentage?: FailurePercentageEjection;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionTimeMs?: number;
  maxEjectionPercent: number;
}

/** Retries of a route. */
export interface RetryPolicy {
  /** Envoy and gRPC retry conditions, for example `5xx`, `reset` or `unavailable`. */
  retryOn: readonly string[];
  /** Retries after the first attempt. */
  attempts: number;
  perTryTimeoutMs?: number;
  backoff?: { baseIntervalMs: number; maxIntervalMs?: number };
}

/** Fault injection of a route, for failover drills. Percentages may have up to four decimals. */
export interface FaultPolicy {
  delay?: { fixedDelayMs: number; percent: number };
  abort?: { httpStatus?: number; grpcStatus?: number; percent: number };
}

/** The request settings of a route that defaults and overrides may set. */
export interface RequestPolicy {
  /** Whole-request timeout; undefined keeps the client's default. */
  timeoutMs?: number;
  retries?: RetryPolicy;
  fault?: FaultPolicy;
}

/** A named part of a service's endpoints, selected by endpoint labels; it becomes its own cluster. */
export interface Subset {
  name: string;
  /** Every label must match; an endpoint may be in several subsets. */
  labels: Readonly<Record<string, string>>;
}

/** Header condition of a route. Exactly one of `exact`, `prefix`, `regex` and `present` is set. */
export interface HeaderMatch {
  name: string;
  exact?: string;
  prefix?: string;
  /** An RE2 regular expression matched against the whole value. */
  regex?: string;
  present?: boolean;
  invert: boolean;
}

/** Request match of a route; every condition that is set must hold. */
export interface RouteMatch {
  /** Exactly one of `exact`, `prefix` and `regex`, or none (`prefix: /`). */
  path?: { exact?: string; prefix?: string; regex?: string };
  /** A gRPC method: `service` is the full service name, `method` may be omitted for all methods. */
  grpcMethod?: { service: string; method?: string };
  headers: readonly HeaderMatch[];
}

/** Destination of a route: one subset, a weighted split over subsets, or the whole service. */
export interface RouteDestination {
  subset?: string;
  /** Weights add up to 100. An entry without `subset` is the whole service. */
  split?: readonly { subset?: string; weight: number }[];
}

/** A route of a service, tried in list order before the default route. */
export interface RoutePolicy extends RequestPolicy, RouteDestination {
  name: string;
  match: RouteMatch;
}

/** Selector of the proxies an override applies to. Every field that is set must match. */
export interface ClientSelector {
  region?: string;
  zone?: string;
  /** The proxy's Kubernetes cluster or site, from node metadata `MERIDIAN_CLUSTER`. */
  cluster?: string;
  /** Group labels of the proxy, from node metadata `MERIDIAN_GROUP_LABELS`. */
  metadata: Readonly<Record<string, string>>;
}

/** Settings that apply only to the proxies `clients` selects, replacing the policy's, field by field. */
export interface PolicyOverride extends RequestPolicy {
  clients: ClientSelector;
  loadBalancer?: LoadBalancerPolicy;
  circuitBreakers?: CircuitBreakerPolicy;
  outlierDetection?: OutlierDetectionPolicy;
  /** Position of the override in the YAML, for reports. */
  source: SourcePosition;
}

/** A validated `kind: TrafficPolicy` document. */
export interface TrafficPolicy extends RequestPolicy {
  /** `metadata.name`, unique among TrafficPolicy documents. */
  name: string;
  source: SourcePosition;
  /** Registry name of the service this policy exposes. */
  service: string;
  /**
   * Names clients use to address the service: the `xds:///NAME` target of a proxyless gRPC client,
   * and the HTTP Host or :authority that a sidecar routes on. At least one.
   */
  hostnames: readonly string[];
  localityLb: LocalityLbPolicy;
  loadBalancer: LoadBalancerPolicy;
  circuitBreakers?: CircuitBreakerPolicy;
  outlierDetection?: OutlierDetectionPolicy;
  subsets: readonly Subset[];
  /** Routes tried in order; a default route to the whole service follows them. */
  routes: readonly RoutePolicy[];
  /** Replacements for selected proxies; see `applyOverrides` for precedence. */
  overrides: readonly PolicyOverride[];
  /** Active checks by the probers of every locality; undefined leaves the service unchecked. */
  healthCheck?: HealthCheckPolicy;
}

/** Every validated policy document that is in force. */
export interface PolicySet {
  readonly policies: readonly TrafficPolicy[];
  /** Content hash of the documents, to tie pushes back to the configuration that caused them. */
  readonly revision: string;
}

/** What kind of xDS client a proxy is, which decides the shape of its listeners. */
export type ClientKind = 'envoy' | 'grpc';

/**
 * The inputs of one computed variant: proxies with the same kind, locality, Kubernetes cluster,
 * network and group labels share it.
 */
export interface ClientProfile {
  kind: ClientKind;
  /** Undefined when the proxy did not send a locality. */
  locality?: Locality;
  /** Kubernetes cluster or site of the proxy (node metadata `MERIDIAN_CLUSTER`). */
  cluster?: string;
  /** Network of the proxy (node metadata `MERIDIAN_NETWORK`). */
  network?: string;
  /** Group labels of the proxy (node metadata `MERIDIAN_GROUP_LABELS`), for override selectors. */
  labels?: Readonly<Record<string, string>>;
}
