import {
  booleanValue,
  checkDnsName,
  fieldCursor,
  itemCursor,
  listOf,
  objectOf,
  refine,
  positionOf,
  required,
  stringValue,
  withDefault,
  type Cursor,
  type DocumentHeader,
  type KindDefinition,
} from '../config';
import type { FailoverRule, TrafficPolicy } from './model';

/** The `kind` of documents that expose a service under hostnames with a locality policy. */
export const TRAFFIC_POLICY_KIND = 'TrafficPolicy';

interface FailoverSpec {
  from: string;
  to: string[];
}

interface LocalityLbSpec {
  enabled: boolean;
  failover: FailoverSpec[];
}

interface PolicySpec {
  service: string;
  hostnames: string[];
  localityLb: LocalityLbSpec;
}

const readHostname = stringValue({
  check: checkDnsName,
  checkCode: 'MERIDIAN_CONFIG_INVALID_HOSTNAME',
  checkFix: 'use a lowercase DNS name such as "checkout" or "checkout.shop.svc.cluster.local"',
});

const readFailoverRule = objectOf<FailoverSpec>({
  from: required(stringValue()),
  to: required(listOf(stringValue(), { nonEmpty: true })),
});

const readLocalityLb = objectOf<LocalityLbSpec>({
  enabled: withDefault(booleanValue(), true),
  failover: withDefault(refine(listOf(readFailoverRule), checkFailoverRules), []),
});

const readSpec = objectOf<PolicySpec>({
  service: required(stringValue()),
  hostnames: required(refine(listOf(readHostname, { nonEmpty: true }), checkRepeatedHostnames)),
  localityLb: withDefault(readLocalityLb, { enabled: true, failover: [] }),
});

function validatePolicySpec(spec: Cursor, header: DocumentHeader): TrafficPolicy | undefined {
  const parsed = readSpec(spec);
  if (parsed === undefined) return undefined;

  const root = spec.context.document.yaml.contents;
  const position = positionOf(spec.context.document, root);
  return {
    name: header.name,
    source: { file: header.document.file, line: position.line, column: position.column },
    service: parsed.service,
    hostnames: parsed.hostnames,
    localityLb: {
      enabled: parsed.localityLb.enabled,
      failover: parsed.localityLb.failover.map((rule): FailoverRule => ({ from: rule.from, to: rule.to })),
    },
  };
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
};
