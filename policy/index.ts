export type { SourcePosition, FailoverRule, TrafficPolicy, PolicySet, ClientKind, ClientProfile } from './model';
export {
  assignLocalityPriorities,
  OWN_SUB_ZONE_WEIGHT_FACTOR,
  type LocalityGroup,
  type LocalityLbSettings,
} from './locality';
export {
  buildResources,
  type GeneratedResources,
  type NamedResource,
  type SkippedPolicy,
} from './resources/build';
export { checkConsistency, type ConsistencyProblem } from './resources/consistency';
export { clusterNameOf, CONNECT_TIMEOUT_SECONDS } from './resources/cluster';
export { outboundListenerNameOf } from './resources/listener';
export type { ProtoObject } from './resources/common';
export { TRAFFIC_POLICY_KIND, trafficPolicyKind } from './traffic-policy';
export { checkPolicyReferences } from './references';
export { createConfigKinds, validateFiles } from './validate-files';
export { PolicyStore, REVISION_LENGTH, revisionOf, canonicalJson, canonicalJsonOf, type PolicyStoreOptions, type PolicyLoadResult, type PolicyCheckResult } from './store';
export {
  diffConfigurations,
  formatConfigurationDiff,
  groupsOfRegistry,
  groupLabelOf,
  type ConfigurationDiff,
  type DiffGroup,
  type MeshConfiguration,
  type ResourceChange,
  type ResourceChangeKind,
} from './diff';
export { unifiedDiff, DIFF_CONTEXT_LINES } from './text-diff';
export {
  explainService,
  formatExplanation,
  localityLabel,
  DEFAULT_OVERPROVISIONING_FACTOR,
  DEFAULT_PANIC_THRESHOLD,
  NO_HEALTH_SIGNAL,
  type ClientGroup,
  type Explanation,
  type LocalityExplanation,
} from './explain';
export type { AppliedOverride, EffectiveChange, OverridesExplanation, OverrideSettingExplanation } from './explain-overrides';
export { HEALTH_CHECK_DEFAULTS, type HealthCheckPolicy, type HealthCheckProtocol } from './health-check';
export { withMeasuredFailover, type HealthInput } from './resources/health';
export type {
  LocalityLbPolicy,
  DistributeRule,
  LoadBalancerAlgorithm,
  LoadBalancerPolicy,
  HashSource,
  CircuitBreakerPolicy,
  CircuitBreakerThresholds,
  OutlierDetectionPolicy,
  RetryPolicy,
  FaultPolicy,
  RequestPolicy,
  Subset,
  RouteMatch,
  RoutePolicy,
  ClientSelector,
  PolicyOverride,
} from './model';
export { matchesLocality, type ClientPlacement } from './locality';
export { applyOverrides, matchingOverrides, selectsClient, specificityOf } from './overrides';
export { parseDuration, formatDuration } from './readers';
export { subsetClusterNameOf, DEFAULT_ROUTE_NAME } from './resources/traffic-routes';
export type { ResourceOrigin } from './resources/build';
