import { isMap, isScalar } from 'yaml';
import {
  booleanValue,
  enumValue,
  integerValue,
  checkDnsName,
  fieldCursor,
  itemCursor,
  listOf,
  objectOf,
  optional,
  refine,
  positionOf,
  required,
  schemaOf,
  stringValue,
  withDefault,
  withDescription,
  withSchema,
  DNS_NAME_SCHEMA,
  type Cursor,
  type DocumentHeader,
  type KindDefinition,
  type Reader,
} from '../config';
import type { FailoverRule, LocalityLbPolicy, TrafficPolicy } from './model';
import { readCircuitBreakers, readLoadBalancer, readOutlierDetection } from './cluster-readers';
import { checkLocalityPattern, decimalValue, localityPatternValue, LOCALITY_PATTERN_SCHEMA } from './readers';
import { healthCheckPolicyOf, readHealthCheck, type HealthCheckSpec } from './health-check';
import { checkRouteSubsets, readOverrides, readRequestFields, readRoutes, readSubsets, requestPolicyOf, type RequestSpec } from './route-readers';

/** The `kind` of documents that expose a service under hostnames with a traffic policy. */
export const TRAFFIC_POLICY_KIND = 'TrafficPolicy';

interface FailoverSpec {
  from: string;
  to: string[];
}

interface DistributeSpec {
  from: string;
  to: Record<string, number>;
}

interface LocalityLbSpec {
  enabled: boolean;
  failover: FailoverSpec[];
  distribute: DistributeSpec[];
  failoverPriority: string[];
  overprovisioningFactor: number | undefined;
  panicThreshold: number | undefined;
  failoverOrder: 'rules' | 'latency' | undefined;
}

const readHostname = stringValue({
  check: checkDnsName,
  checkCode: 'MERIDIAN_CONFIG_INVALID_HOSTNAME',
  checkFix: 'use a lowercase DNS name such as "checkout" or "checkout.shop.svc.cluster.local"',
  schema: DNS_NAME_SCHEMA,
});

const readFailoverRule = objectOf<FailoverSpec>({
  from: required(withDescription(stringValue(), 'Region of the clients this rule applies to.')),
  to: required(withDescription(listOf(stringValue(), { nonEmpty: true }), 'Regions to try after the client\'s own, nearest first.')),
});

/** Reads a mapping of locality patterns to percentages that add up to 100. */
const readDistributeTargets: Reader<Record<string, number>> = withSchema((cursor: Cursor): Record<string, number> | undefined => {
  const read = objectOfAnyKey(decimalValue(0, 100));
  const targets = read(cursor);
  if (targets === undefined) return undefined;
  const before = cursor.context.errorCount();
  for (const pattern of Object.keys(targets)) {
    const problem = checkLocalityPattern(pattern);
    if (problem !== undefined) {
      cursor.context.report('MERIDIAN_CONFIG_INVALID_VALUE', fieldCursor(cursor, pattern), problem, {
        value: pattern,
        fix: 'write a pattern such as "eu-west", "eu-west/eu-west-1a" or "eu-west/*"',
      });
    }
  }
  const total = Object.values(targets).reduce((sum, percent) => sum + percent, 0);
  if (Object.keys(targets).length > 0 && Math.abs(total - 100) > 1e-9) {
    cursor.context.report('MERIDIAN_CONFIG_INVALID_WEIGHTS', cursor, `the percentages add up to ${total}, not 100`, {
      fix: 'change the percentages so that they add up to 100',
    });
  }
  if (Object.keys(targets).length === 0) {
    cursor.context.report('MERIDIAN_CONFIG_EMPTY_LIST', cursor, 'no locality is listed; at least one is required');
  }
  return cursor.context.errorCount() === before ? targets : undefined;
}, { ...schemaOf(objectOfAnyKey(decimalValue(0, 100))), propertyNames: LOCALITY_PATTERN_SCHEMA, minProperties: 1 });

/** Reads a mapping with any string keys, each value read by `read`. */
function objectOfAnyKey<T>(read: Reader<T>): Reader<Record<string, T>> {
  return withSchema((cursor) => {
    const node = cursor.node;
    if (!isMap(node)) {
      cursor.context.report('MERIDIAN_CONFIG_INVALID_TYPE', cursor, 'expected a mapping of locality patterns to percentages', {
        fix: 'write a mapping such as { "eu-west/eu-west-1a": 80, "eu-west/eu-west-1b": 20 }',
      });
      return undefined;
    }
    const before = cursor.context.errorCount();
    const result: Record<string, T> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key !== 'string') continue;
      const value = read(fieldCursor(cursor, key));
      if (value !== undefined) result[key] = value;
    }
    return cursor.context.errorCount() === before ? result : undefined;
  }, { type: 'object', additionalProperties: schemaOf(read) });
}

const readDistributeRule = objectOf<DistributeSpec>({
  from: required(withDescription(localityPatternValue, 'Clients whose locality matches this pattern.')),
  to: required(withDescription(readDistributeTargets, 'Locality patterns and the percentage of requests each receives. The percentages add up to 100.')),
});

const FAILOVER_PRIORITY_KEY = /^(cluster|network|label:[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?)$/;

const readFailoverPriorityKey = stringValue({
  check: (key) => (FAILOVER_PRIORITY_KEY.test(key) ? undefined : `invalid failover priority key "${key}"`),
  checkFix: 'use "cluster", "network" or "label:KEY" with an endpoint label key, for example "label:topology.kubernetes.io/zone"',
  schema: { pattern: FAILOVER_PRIORITY_KEY.source },
});

const readLocalityLbFields = objectOf<LocalityLbSpec>({
  enabled: withDefault(withDescription(booleanValue(), 'false turns locality awareness off: every endpoint gets priority 0.'), true),
  failover: withDefault(withDescription(
    refine(listOf(readFailoverRule), checkFailoverRules),
    'Nearest-first mode: clients try their own zone, their own region, then the to regions of the rule for their region.',
  ), []),
  distribute: withDefault(withDescription(
    refine(listOf(readDistributeRule), checkDistributeSources),
    'Weighted mode: shares of requests per locality pattern for clients in the from localities. Cannot be combined with failover.',
  ), []),
  failoverPriority: withDefault(withDescription(
    refine(listOf(readFailoverPriorityKey), checkRepeated('failover priority key')),
    'Endpoint properties to prefer, most important first: cluster, network or label:KEY. An endpoint shares a key only when it shares every key before it, so list the broader one first, as in [network, cluster].',
  ), []),
  // Envoy's rule for overprovisioning_factor is "greater than 0" on a uint32.
  overprovisioningFactor: optional(withDescription(
    integerValue(1, 4_294_967_295),
    "Envoy spills traffic to the next priority once a priority's healthy share times this factor, in percent, falls below 100%. Envoy's default is 140.",
  )),
  panicThreshold: optional(withDescription(
    decimalValue(0, 100),
    "Below this healthy share, in percent, Envoy balances over every host of the priority set. 0 turns panic mode off. Envoy's default is 50.",
  )),
  failoverOrder: optional(withDescription(
    enumValue<'rules' | 'latency'>(['rules', 'latency']),
    'How regions after the own one are ordered: by the failover rules, or by the round-trip times that probers measure. Default rules.',
  )),
});

const readLocalityLb: Reader<LocalityLbSpec> = withSchema((cursor: Cursor): LocalityLbSpec | undefined => {
  const spec = readLocalityLbFields(cursor);
  if (spec === undefined) return undefined;
  if (spec.failover.length > 0 && spec.distribute.length > 0) {
    cursor.context.report('MERIDIAN_CONFIG_CONFLICTING_FIELDS', fieldCursor(cursor, 'distribute'), '"failover" and "distribute" cannot both be set', {
      value: ['failover', 'distribute'],
      fix: 'use "failover" for nearest-first priorities or "distribute" for weighted shares, not both',
    });
    return undefined;
  }
  return spec;
}, { ...schemaOf(readLocalityLbFields), not: { required: ['failover', 'distribute'] } });

interface PolicySpec extends RequestSpec {
  service: string;
  hostnames: string[];
  localityLb: LocalityLbSpec;
  loadBalancer: TrafficPolicy['loadBalancer'];
  circuitBreakers: TrafficPolicy['circuitBreakers'];
  outlierDetection: TrafficPolicy['outlierDetection'];
  subsets: TrafficPolicy['subsets'];
  routes: TrafficPolicy['routes'];
  overrides: TrafficPolicy['overrides'];
  healthCheck: HealthCheckSpec | undefined;
}

const DEFAULT_LOCALITY_LB: LocalityLbSpec = {
  enabled: true,
  failover: [],
  distribute: [],
  failoverPriority: [],
  overprovisioningFactor: undefined,
  panicThreshold: undefined,
  failoverOrder: undefined,
};

const readSpec = objectOf<PolicySpec>({
  service: required(withDescription(stringValue(), 'metadata.name of the ServiceEndpoints document of the service.')),
  hostnames: required(withDescription(
    refine(listOf(readHostname, { nonEmpty: true }), checkRepeatedHostnames),
    'Names clients use: xds:///NAME for gRPC clients, Host or :authority for Envoy. Each belongs to one policy.',
  )),
  localityLb: withDefault(withDescription(readLocalityLb, 'Priorities and weights between localities.'), DEFAULT_LOCALITY_LB),
  loadBalancer: withDefault(withDescription(readLoadBalancer, 'Load balancing within a locality.'), { algorithm: 'roundRobin', hashOn: [] }),
  circuitBreakers: optional(withDescription(readCircuitBreakers, 'Circuit breaker thresholds per Envoy routing priority: default, high or both.')),
  outlierDetection: optional(withDescription(readOutlierDetection, 'Ejection of endpoints that fail requests, by at least one detector.')),
  ...readRequestFields,
  subsets: withDefault(withDescription(readSubsets, 'Named parts of the service selected by endpoint labels, for routes and splits.'), []),
  routes: withDefault(withDescription(readRoutes, 'Routes tried in order before the default route to the whole service.'), []),
  overrides: withDefault(withDescription(readOverrides, 'Settings for groups of proxies that replace the policy settings field by field. The most specific selector wins.'), []),
  healthCheck: optional(withDescription(readHealthCheck, 'Active checks run by the probers of every locality.')),
});

function validatePolicySpec(spec: Cursor, header: DocumentHeader): TrafficPolicy | undefined {
  const parsed = readSpec(spec);
  if (parsed === undefined) return undefined;
  if (!checkRouteSubsets(spec, parsed.subsets, parsed.routes)) return undefined;

  const root = spec.context.document.yaml.contents;
  const position = positionOf(spec.context.document, root);
  const policy: TrafficPolicy = {
    name: header.name,
    source: { file: header.document.file, line: position.line, column: position.column },
    service: parsed.service,
    hostnames: parsed.hostnames,
    localityLb: toLocalityLb(parsed.localityLb),
    loadBalancer: parsed.loadBalancer,
    subsets: parsed.subsets,
    routes: parsed.routes,
    overrides: parsed.overrides,
    ...requestPolicyOf(parsed),
  };
  if (parsed.circuitBreakers !== undefined) policy.circuitBreakers = parsed.circuitBreakers;
  if (parsed.outlierDetection !== undefined) policy.outlierDetection = parsed.outlierDetection;
  if (parsed.healthCheck !== undefined) policy.healthCheck = healthCheckPolicyOf(parsed.healthCheck);
  return policy;
}

function toLocalityLb(spec: LocalityLbSpec): LocalityLbPolicy {
  const policy: LocalityLbPolicy = {
    enabled: spec.enabled,
    failover: spec.failover.map((rule): FailoverRule => ({ from: rule.from, to: rule.to })),
    distribute: spec.distribute.map((rule) => ({
      from: rule.from,
      to: Object.entries(rule.to).map(([locality, percent]) => ({ locality, percent })),
    })),
    failoverPriority: spec.failoverPriority,
  };
  if (spec.overprovisioningFactor !== undefined) policy.overprovisioningFactor = spec.overprovisioningFactor;
  if (spec.panicThreshold !== undefined) policy.panicThreshold = spec.panicThreshold;
  if (spec.failoverOrder !== undefined) policy.failoverOrder = spec.failoverOrder;
  return policy;
}

function checkRepeatedHostnames(list: Cursor, hostnames: readonly string[]): void {
  hostnames.forEach((hostname, index) => {
    const first = hostnames.indexOf(hostname);
    if (first === index) return;
    list.context.report('MERIDIAN_CONFIG_DUPLICATE_HOSTNAME', itemCursor(list, index), `hostname "${hostname}" is already listed as hostnames[${first}]`, {
      fix: 'remove the repeated hostname',
    });
  });
}

/** Returns a check that reports items listed twice, naming them with `noun`. */
function checkRepeated(noun: string): (list: Cursor, values: readonly string[]) => void {
  return (list, values) => {
    values.forEach((value, index) => {
      const first = values.indexOf(value);
      if (first === index) return;
      list.context.report('MERIDIAN_CONFIG_INVALID_VALUE', itemCursor(list, index), `${noun} "${value}" is already listed at [${first}]`, {
        fix: `remove the repeated ${noun}`,
      });
    });
  };
}

function checkDistributeSources(list: Cursor, rules: readonly DistributeSpec[]): void {
  rules.forEach((rule, index) => {
    const first = rules.findIndex((other) => other.from === rule.from);
    if (first === index) return;
    list.context.report(
      'MERIDIAN_CONFIG_DUPLICATE_FAILOVER_SOURCE',
      fieldCursor(itemCursor(list, index), 'from'),
      `locality pattern "${rule.from}" already has a distribute rule at distribute[${first}]`,
      { fix: 'merge the two rules into one' },
    );
  });
}

function checkFailoverRules(list: Cursor, rules: readonly FailoverSpec[]): void {
  rules.forEach((rule, index) => {
    const ruleCursor = itemCursor(list, index);
    const first = rules.findIndex((other) => other.from === rule.from);
    if (first !== index) {
      list.context.report(
        'MERIDIAN_CONFIG_DUPLICATE_FAILOVER_SOURCE',
        fieldCursor(ruleCursor, 'from'),
        `region "${rule.from}" already has a failover rule at failover[${first}]`,
      );
    }
    checkFailoverTargets(fieldCursor(ruleCursor, 'to'), rule);
  });
}

function checkFailoverTargets(list: Cursor, rule: FailoverSpec): void {
  rule.to.forEach((region, index) => {
    const cursor = itemCursor(list, index);
    if (region === rule.from) {
      list.context.report('MERIDIAN_CONFIG_FAILOVER_TO_SELF', cursor, `region "${region}" is the rule's own "from" region; clients always try it first`);
      return;
    }
    const first = rule.to.indexOf(region);
    if (first !== index) {
      list.context.report('MERIDIAN_CONFIG_DUPLICATE_FAILOVER_TARGET', cursor, `region "${region}" is already listed as to[${first}]`);
    }
  });
}

/** The TrafficPolicy kind, for registration in a `KindRegistry`. Each document yields one `TrafficPolicy`. */
export const trafficPolicyKind: KindDefinition<TrafficPolicy> = {
  kind: TRAFFIC_POLICY_KIND,
  validateSpec: validatePolicySpec,
  specSchema: schemaOf(readSpec),
};
