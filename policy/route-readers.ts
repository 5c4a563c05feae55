import {
  booleanValue,
  enumValue,
  fieldCursor,
  integerValue,
  itemCursor,
  listKnown,
  listOf,
  objectOf,
  optional,
  positionOf,
  refine,
  required,
  schemaOf,
  stringMap,
  stringValue,
  withDefault,
  withDescription,
  withSchema,
  didYouMean,
  type Cursor,
  type FieldSpecs,
  type Reader,
} from '../config';
import type {
  CircuitBreakerPolicy,
  ClientSelector,
  FaultPolicy,
  HeaderMatch,
  LoadBalancerPolicy,
  OutlierDetectionPolicy,
  PolicyOverride,
  RetryPolicy,
  RouteMatch,
  RoutePolicy,
  Subset,
} from './model';
import { readCircuitBreakers, readLoadBalancer, readOutlierDetection, withoutUndefined } from './cluster-readers';
import { checkOneOf, decimalValue, durationValue, oneOfSchema, regexValue } from './readers';

/**
 * Retry conditions Meridian accepts: Envoy's HTTP conditions (`x-envoy-retry-on`) and the gRPC
 * status conditions (`x-envoy-retry-grpc-on`). Proxyless gRPC clients use only the gRPC ones.
 */
export const RETRY_CONDITIONS = [
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'envoy-ratelimited',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'http3-post-connect-failure',
  'cancelled',
  'deadline-exceeded',
  'internal',
  'resource-exhausted',
  'unavailable',
] as const;

/** The route fields that a policy, a route and an override may set. */
export interface RequestSpec {
  timeout: number | undefined;
  retries: RetryPolicy | undefined;
  fault: FaultPolicy | undefined;
}

const readRetriesFields = objectOf<{ retryOn: string[]; attempts: number; perTryTimeout: number | undefined; backoff: { baseInterval: number; maxInterval: number | undefined } | undefined }>({
  retryOn: required(withDescription(
    refine(listOf(enumValue(RETRY_CONDITIONS), { nonEmpty: true }), checkRepeatedStrings('retry condition')),
    'Retry conditions: Envoy HTTP conditions such as 5xx or reset, and gRPC status conditions such as unavailable. gRPC clients use only the gRPC ones.',
  )),
  // grpc-js caps attempts at 5 (4 retries) unless the channel sets grpc-node.retry_max_attempts_limit.
  attempts: withDefault(withDescription(integerValue(1, 10), 'Retries after the first attempt.'), 1),
  perTryTimeout: optional(withDescription(durationValue(1), 'Timeout of each attempt.')),
  backoff: optional(objectOf<{ baseInterval: number; maxInterval: number | undefined }>({
    baseInterval: required(durationValue(1)),
    maxInterval: optional(durationValue(1)),
  })),
});

const readRetries: Reader<RetryPolicy> = withSchema((cursor: Cursor): RetryPolicy | undefined => {
  const fields = readRetriesFields(cursor);
  if (fields === undefined) return undefined;
  const backoff = fields.backoff;
  if (backoff?.maxInterval !== undefined && backoff.maxInterval < backoff.baseInterval) {
    cursor.context.report('MERIDIAN_CONFIG_OUT_OF_RANGE', fieldCursor(fieldCursor(cursor, 'backoff'), 'maxInterval'), 'maxInterval is shorter than baseInterval', {
      fix: 'make maxInterval at least baseInterval, or remove it (the default is 10 times baseInterval)',
    });
    return undefined;
  }
  const policy: RetryPolicy = { retryOn: fields.retryOn, attempts: fields.attempts };
  if (fields.perTryTimeout !== undefined) policy.perTryTimeoutMs = fields.perTryTimeout;
  if (backoff !== undefined) {
    policy.backoff = backoff.maxInterval === undefined ? { baseIntervalMs: backoff.baseInterval } : { baseIntervalMs: backoff.baseInterval, maxIntervalMs: backoff.maxInterval };
  }
  return policy;
}, schemaOf(readRetriesFields));

const readDelay = objectOf<{ fixedDelay: number; percent: number }>({
  fixedDelay: required(durationValue(1)),
  percent: required(decimalValue(0, 100)),
});

const readAbortFields = objectOf<{ httpStatus: number | undefined; grpcStatus: number | undefined; percent: number }>({
  // Envoy's rule: an HTTP abort status is from 200 to 599. gRPC status 0 (OK) would not abort.
  httpStatus: optional(withDescription(integerValue(200, 599), 'HTTP status of aborted requests.')),
  grpcStatus: optional(withDescription(integerValue(1, 16), 'gRPC status of aborted calls.')),
  percent: required(withDescription(decimalValue(0, 100), 'Share of requests to abort, in percent.')),
});

const readAbort: Reader<FaultPolicy['abort']> = withSchema((cursor: Cursor) => {
  if (!checkOneOf(cursor, ['httpStatus', 'grpcStatus'])) return undefined;
  const fields = readAbortFields(cursor);
  return fields === undefined ? undefined : (withoutUndefined(fields) as FaultPolicy['abort']);
}, { ...schemaOf(readAbortFields), ...oneOfSchema(['httpStatus', 'grpcStatus']) });

const readFaultFields = objectOf<{ delay: { fixedDelay: number; percent: number } | undefined; abort: FaultPolicy['abort'] }>({
  delay: optional(withDescription(readDelay, 'Delays percent of the requests by fixedDelay.')),
  abort: optional(withDescription(readAbort, 'Fails percent of the requests with httpStatus or grpcStatus.')),
});

const readFault: Reader<FaultPolicy> = withSchema((cursor: Cursor): FaultPolicy | undefined => {
  const fields = readFaultFields(cursor);
  if (fields === undefined) return undefined;
  if (fields.delay === undefined && fields.abort === undefined) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', cursor, 'neither "delay" nor "abort" is set', { value: undefined, fix: 'set delay, abort or both, or remove fault' });
    return undefined;
  }
  const fault: FaultPolicy = {};
  if (fields.delay !== undefined) fault.delay = { fixedDelayMs: fields.delay.fixedDelay, percent: fields.delay.percent };
  if (fields.abort !== undefined) fault.abort = fields.abort;
  return fault;
}, { ...schemaOf(readFaultFields), minProperties: 1 });

/** Field specs of the request settings, shared by the spec, routes and overrides. */
export const readRequestFields: FieldSpecs<RequestSpec> = {
  timeout: optional(withDescription(durationValue(1), "Whole-request timeout. Unset keeps the client's default.")),
  retries: optional(withDescription(readRetries, 'Retries of failed requests.')),
  fault: optional(withDescription(readFault, 'Fault injection for failover drills: delays and aborts.')),
};

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const readSubset = objectOf<Subset>({
  name: required(stringValue({
    check: (name) => (DNS_LABEL.test(name) && name.length <= 63 ? undefined : `invalid subset name "${name}"`),
    checkFix: 'use a lowercase DNS label such as "v1" or "canary"',
    schema: { pattern: DNS_LABEL.source, maxLength: 63 },
  })),
  labels: required(refine(withSchema(stringMap(), { ...schemaOf(stringMap()), minProperties: 1 }), (cursor, labels) => {
    if (Object.keys(labels).length > 0) return;
    cursor.context.report('MERIDIAN_CONFIG_EMPTY_LIST', cursor, 'the subset selects by no label, so it is the whole service', { fix: 'add at least one label, such as version: v2' });
  })),
});

/** Reads `subsets`, with unique names. */
export const readSubsets = refine(listOf(readSubset), (list, subsets: Subset[]) => checkUniqueNames(list, subsets, 'subset', 'MERIDIAN_CONFIG_DUPLICATE_SUBSET'));

const MATCH_HEADER_NAME = /^:?[a-z0-9!#$%&'*+.^_`|~-]+$/;

const readHeaderMatchFields = objectOf<{ name: string; exact: string | undefined; prefix: string | undefined; regex: string | undefined; present: boolean | undefined; invert: boolean }>({
  name: required(withDescription(
    stringValue({
      check: (name) => (MATCH_HEADER_NAME.test(name) ? undefined : `invalid header name "${name}"`),
      checkFix: 'write the header name in lowercase, for example "x-canary"',
      schema: { pattern: MATCH_HEADER_NAME.source },
    }),
    'Lowercase header name, for example x-canary.',
  )),
  exact: optional(stringValue()),
  prefix: optional(stringValue()),
  regex: optional(regexValue),
  present: optional(booleanValue()),
  invert: withDefault(withDescription(booleanValue(), 'Matches when the condition does not hold.'), false),
});

const readHeaderMatch: Reader<HeaderMatch> = withSchema((cursor: Cursor) => {
  if (!checkOneOf(cursor, ['exact', 'prefix', 'regex', 'present'])) return undefined;
  const fields = readHeaderMatchFields(cursor);
  return fields === undefined ? undefined : (withoutUndefined(fields) as HeaderMatch);
}, { ...schemaOf(readHeaderMatchFields), ...oneOfSchema(['exact', 'prefix', 'regex', 'present']) });

const readAbsolutePath = stringValue({
  check: (path) => (path.startsWith('/') ? undefined : `path "${path}" does not start with "/"`),
  checkFix: 'start the path with "/"',
  schema: { pattern: '^/' },
});

const readPathMatchFields = objectOf<{ exact: string | undefined; prefix: string | undefined; regex: string | undefined }>({
  exact: optional(readAbsolutePath),
  prefix: optional(readAbsolutePath),
  regex: optional(regexValue),
});

const readPathMatch: Reader<RouteMatch['path']> = withSchema((cursor: Cursor) => {
  if (!checkOneOf(cursor, ['exact', 'prefix', 'regex'])) return undefined;
  const fields = readPathMatchFields(cursor);
  return fields === undefined ? undefined : withoutUndefined(fields);
}, { ...schemaOf(readPathMatchFields), ...oneOfSchema(['exact', 'prefix', 'regex']) });

const GRPC_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const GRPC_METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const readGrpcMethod = objectOf<{ service: string; method: string | undefined }>({
  service: required(withDescription(
    stringValue({
      check: (name) => (GRPC_NAME.test(name) ? undefined : `invalid gRPC service name "${name}"`),
      checkFix: 'write the full service name from the .proto file, for example "shop.Checkout"',
      schema: { pattern: GRPC_NAME.source },
    }),
    'Full service name from the .proto file, for example shop.Checkout.',
  )),
  method: optional(withDescription(
    stringValue({
      check: (name) => (GRPC_METHOD_NAME.test(name) ? undefined : `invalid gRPC method name "${name}"`),
      checkFix: 'write the method name from the .proto file, for example "PlaceOrder"',
      schema: { pattern: GRPC_METHOD_NAME.source },
    }),
    'Method name; unset matches every method of the service.',
  )),
});

const readRouteMatchFields = objectOf<{ path: RouteMatch['path']; grpcMethod: { service: string; method: string | undefined } | undefined; headers: HeaderMatch[] }>({
  path: optional(withDescription(readPathMatch, 'Request path condition: one of exact, prefix or regex.')),
  grpcMethod: optional(withDescription(readGrpcMethod, 'gRPC method condition, the path /SERVICE/METHOD.')),
  headers: withDefault(withDescription(listOf(readHeaderMatch), 'Header conditions, all of which must hold.'), []),
});

const readRouteMatch: Reader<RouteMatch> = withSchema((cursor: Cursor): RouteMatch | undefined => {
  if (!checkOneOf(cursor, ['path', 'grpcMethod'], true)) return undefined;
  const fields = readRouteMatchFields(cursor);
  if (fields === undefined) return undefined;
  const match: RouteMatch = { headers: fields.headers };
  if (fields.path !== undefined) match.path = fields.path;
  if (fields.grpcMethod !== undefined) match.grpcMethod = withoutUndefined(fields.grpcMethod) as RouteMatch['grpcMethod'];
  return match;
}, { ...schemaOf(readRouteMatchFields), ...oneOfSchema(['path', 'grpcMethod'], true) });

const readSplitEntry = objectOf<{ subset: string | undefined; weight: number }>({
  subset: optional(stringValue()),
  weight: required(integerValue(0, 100)),
});

function checkSplitWeights(list: Cursor, entries: { subset: string | undefined; weight: number }[]): void {
  const total = entries.reduce((sum, entry) => sum + entry.weight, 0);
  if (total !== 100) {
    list.context.report('MERIDIAN_CONFIG_INVALID_WEIGHTS', list, `the split weights add up to ${total}, not 100`, {
      value: entries.map((entry) => entry.weight),
      fix: 'change the weights so that they add up to 100, for example 95 and 5',
    });
  }
  entries.forEach((entry, index) => {
    const first = entries.findIndex((other) => other.subset === entry.subset);
    if (first === index) return;
    list.context.report('MERIDIAN_CONFIG_DUPLICATE_SUBSET', itemCursor(list, index), `subset ${entry.subset === undefined ? '(whole service)' : `"${entry.subset}"`} is already listed at split[${first}]`, {
      value: entry.subset,
      fix: 'list each subset once and add up its weights',
    });
  });
}

const readRouteFields = objectOf<{ name: string; match: RouteMatch; subset: string | undefined; split: { subset: string | undefined; weight: number }[] | undefined } & RequestSpec>({
  name: required(stringValue({
    check: (name) => (DNS_LABEL.test(name) ? undefined : `invalid route name "${name}"`),
    checkFix: 'use a lowercase DNS label such as "canary"',
    schema: { pattern: DNS_LABEL.source },
  })),
  match: withDefault(withDescription(readRouteMatch, 'Request conditions, all of which must hold. Unset matches every request.'), { headers: [] }),
  subset: optional(withDescription(stringValue(), 'Subset that receives every matching request.')),
  split: optional(withDescription(
    refine(listOf(readSplitEntry, { nonEmpty: true }), checkSplitWeights),
    'Weighted split over subsets; the weights add up to 100. An entry without subset is the whole service.',
  )),
  ...readRequestFields,
});

const readRoute: Reader<RoutePolicy> = withSchema((cursor: Cursor): RoutePolicy | undefined => {
  if (!checkOneOf(cursor, ['subset', 'split'], true)) return undefined;
  const fields = readRouteFields(cursor);
  if (fields === undefined) return undefined;
  const route: RoutePolicy = { name: fields.name, match: fields.match };
  if (fields.subset !== undefined) route.subset = fields.subset;
  if (fields.split !== undefined) route.split = fields.split.map((entry) => withoutUndefined(entry) as { subset?: string; weight: number });
  return { ...route, ...requestPolicyOf(fields) };
}, { ...schemaOf(readRouteFields), ...oneOfSchema(['subset', 'split'], true) });

/** Reads `routes`, with unique names. */
export const readRoutes = refine(listOf(readRoute), (list, routes: RoutePolicy[]) => checkUniqueNames(list, routes, 'route', 'MERIDIAN_CONFIG_DUPLICATE_ROUTE'));

/** Returns the request settings of parsed fields, leaving out the ones not set. */
export function requestPolicyOf(fields: RequestSpec): { timeoutMs?: number; retries?: RetryPolicy; fault?: FaultPolicy } {
  const policy: { timeoutMs?: number; retries?: RetryPolicy; fault?: FaultPolicy } = {};
  if (fields.timeout !== undefined) policy.timeoutMs = fields.timeout;
  if (fields.retries !== undefined) policy.retries = fields.retries;
  if (fields.fault !== undefined) policy.fault = fields.fault;
  return policy;
}

const readClientSelector = objectOf<{ region: string | undefined; zone: string | undefined; cluster: string | undefined; metadata: Record<string, string> }>({
  region: optional(withDescription(stringValue(), 'Region of the proxies.')),
  zone: optional(withDescription(stringValue(), 'Zone of the proxies. Needs region, because zone names are unique only within a region.')),
  cluster: optional(withDescription(stringValue(), 'Kubernetes cluster or site of the proxies, from node metadata MERIDIAN_CLUSTER.')),
  metadata: withDefault(withDescription(stringMap(), 'Group labels of the proxies, from node metadata MERIDIAN_GROUP_LABELS. Every label must match.'), {}),
});

/** Settings that an override may replace. */
export const OVERRIDE_SETTINGS = ['timeout', 'retries', 'fault', 'loadBalancer', 'circuitBreakers', 'outlierDetection'] as const;

const readClientSelectorChecked: Reader<ClientSelector> = withSchema((cursor: Cursor): ClientSelector | undefined => {
  const fields = readClientSelector(cursor);
  if (fields === undefined) return undefined;
  if (fields.zone !== undefined && fields.region === undefined) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', fieldCursor(cursor, 'zone'), 'a zone is selected without its region', {
      value: fields.zone,
      fix: 'add the region of the zone, because zone names are only unique within a region',
    });
    return undefined;
  }
  if (fields.region === undefined && fields.cluster === undefined && Object.keys(fields.metadata).length === 0) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', cursor, 'the selector selects every proxy', {
      value: undefined,
      fix: 'set region, zone, cluster or metadata; settings for every proxy belong in the policy itself',
    });
    return undefined;
  }
  return withoutUndefined(fields) as ClientSelector;
}, { ...schemaOf(readClientSelector), anyOf: [{ required: ['region'] }, { required: ['cluster'] }, { required: ['metadata'], properties: { metadata: { type: 'object', minProperties: 1 } } }] });

const readOverrideFields = objectOf<{ clients: ClientSelector; loadBalancer: LoadBalancerPolicy | undefined; circuitBreakers: CircuitBreakerPolicy | undefined; outlierDetection: OutlierDetectionPolicy | undefined } & RequestSpec>({
  clients: required(withDescription(readClientSelectorChecked, 'The proxies the override applies to. Every field that is set must match.')),
  loadBalancer: optional(readLoadBalancer),
  circuitBreakers: optional(readCircuitBreakers),
  outlierDetection: optional(readOutlierDetection),
  ...readRequestFields,
});

const readOverride: Reader<PolicyOverride> = withSchema((cursor: Cursor): PolicyOverride | undefined => {
  const fields = readOverrideFields(cursor);
  if (fields === undefined) return undefined;
  if (OVERRIDE_SETTINGS.every((setting) => fieldCursor(cursor, setting).node === null)) {
    cursor.context.report('MERIDIAN_CONFIG_MISSING_FIELD', cursor, 'the override sets nothing', {
      value: undefined,
      fix: `set at least one of ${OVERRIDE_SETTINGS.join(', ')}`,
    });
    return undefined;
  }
  const position = positionOf(cursor.context.document, cursor.node);
  const override: PolicyOverride = { clients: fields.clients, source: { file: cursor.context.document.file, line: position.line, column: position.column } };
  if (fields.loadBalancer !== undefined) override.loadBalancer = fields.loadBalancer;
  if (fields.circuitBreakers !== undefined) override.circuitBreakers = fields.circuitBreakers;
  if (fields.outlierDetection !== undefined) override.outlierDetection = fields.outlierDetection;
  return { ...override, ...requestPolicyOf(fields) };
}, { ...schemaOf(readOverrideFields), anyOf: OVERRIDE_SETTINGS.map((setting) => ({ required: [setting] })) });

/**
 * Reads `overrides`. Two overrides with the same selector that set the same field conflict, because
 * neither would be more specific than the other.
 */
export const readOverrides = refine(listOf(readOverride), (list, overrides: PolicyOverride[]) => {
  overrides.forEach((override, index) => {
    const key = selectorKey(override.clients);
    for (let earlier = 0; earlier < index; earlier++) {
      if (selectorKey(overrides[earlier].clients) !== key) continue;
      const shared = OVERRIDE_SETTINGS.filter((setting) => settingOf(override, setting) !== undefined && settingOf(overrides[earlier], setting) !== undefined);
      if (shared.length === 0) continue;
      list.context.report('MERIDIAN_CONFIG_CONFLICTING_OVERRIDE', fieldCursor(itemCursor(list, index), 'clients'), `overrides[${earlier}] selects the same proxies and also sets ${shared.join(', ')}`, {
        value: override.clients,
        fix: `merge the two overrides into one, or make one selector more specific`,
      });
    }
  });
});

/** Returns the value of one override setting by its YAML name. */
export function settingOf(override: PolicyOverride, setting: (typeof OVERRIDE_SETTINGS)[number]): unknown {
  return setting === 'timeout' ? override.timeoutMs : override[setting];
}

/** Returns a canonical text of a selector, equal for selectors that select the same proxies. */
export function selectorKey(selector: ClientSelector): string {
  const metadata = Object.keys(selector.metadata).sort().map((key) => [key, selector.metadata[key]]);
  return JSON.stringify([selector.region ?? null, selector.zone ?? null, selector.cluster ?? null, metadata]);
}

/** Checks that routes name subsets the policy defines. Returns false after reporting. */
export function checkRouteSubsets(spec: Cursor, subsets: readonly Subset[], routes: readonly RoutePolicy[]): boolean {
  const names = subsets.map((subset) => subset.name);
  const before = spec.context.errorCount();
  const routesCursor = fieldCursor(spec, 'routes');
  routes.forEach((route, index) => {
    const routeCursor = itemCursor(routesCursor, index);
    const check = (subset: string | undefined, cursor: Cursor) => {
      if (subset === undefined || names.includes(subset)) return;
      spec.context.report('MERIDIAN_CONFIG_UNKNOWN_SUBSET', cursor, `unknown subset "${subset}"${didYouMean(subset, names)} (known subsets: ${listKnown(names)})`, {
        value: subset,
        fix: `name a subset listed in spec.subsets, or add a subset named "${subset}"`,
      });
    };
    check(route.subset, fieldCursor(routeCursor, 'subset'));
    route.split?.forEach((entry, splitIndex) => check(entry.subset, fieldCursor(itemCursor(fieldCursor(routeCursor, 'split'), splitIndex), 'subset')));
  });
  return spec.context.errorCount() === before;
}

function checkUniqueNames(list: Cursor, items: readonly { name: string }[], noun: string, code: 'MERIDIAN_CONFIG_DUPLICATE_SUBSET' | 'MERIDIAN_CONFIG_DUPLICATE_ROUTE'): void {
  items.forEach((item, index) => {
    const first = items.findIndex((other) => other.name === item.name);
    if (first === index) return;
    list.context.report(code, fieldCursor(itemCursor(list, index), 'name'), `${noun} name "${item.name}" is already used at [${first}]`, {
      fix: `rename one of the two ${noun}s`,
    });
  });
}

function checkRepeatedStrings(noun: string): (list: Cursor, values: readonly string[]) => void {
  return (list, values) => {
    values.forEach((value, index) => {
      const first = values.indexOf(value);
      if (first === index) return;
      list.context.report('MERIDIAN_CONFIG_INVALID_VALUE', itemCursor(list, index), `${noun} "${value}" is already listed at [${first}]`, { fix: `remove the repeated ${noun}` });
    });
  };
}
