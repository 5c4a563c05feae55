import type { Locality, RegistrySnapshot } from '../discovery';
import { TYPE_URL } from '../xds';
import { explainOverrides, formatOverrides, type OverridesExplanation } from './explain-overrides';
import type { ClientKind, ClientProfile, TrafficPolicy } from './model';
import { buildResources } from './resources/build';
import type { HealthInput } from './resources/health';
import type { ProtoObject } from './resources/common';

/** Envoy's default `ClusterLoadAssignment.policy.overprovisioning_factor`, in percent. */
export const DEFAULT_OVERPROVISIONING_FACTOR = 140;

/** Envoy's default `common_lb_config.healthy_panic_threshold`, in percent. */
export const DEFAULT_PANIC_THRESHOLD = 50;

/** Time after which grpc-js-xds 1.14 gives up on a priority that is still connecting, in milliseconds. */
export const GRPC_PRIORITY_FAILOVER_TIMEOUT_MS = 10_000;

/** Health input of an endpoint when neither the control plane nor the cluster provides one. */
export const NO_HEALTH_SIGNAL = 'no health signal';

/** One locality of the ClusterLoadAssignment a client is sent. */
export interface LocalityExplanation {
  /** `region/zone/sub-zone`, or `(unknown locality)`. */
  label: string;
  locality: Locality;
  priority: number;
  /** The locality's load balancing weight. */
  weight: number;
  /** Share of its priority's traffic, in percent, from the weights. */
  shareOfPriority: number;
  endpoints: number;
  /** Endpoints sent as HEALTHY: all of them unless the prober mesh has decided otherwise. */
  healthyEndpoints: number;
  /** Source of the endpoints' health state, with the decided count where probers check them. */
  health: string;
}

/** Client properties besides the locality that select overrides: node metadata `MERIDIAN_CLUSTER` and `MERIDIAN_GROUP_LABELS`. */
export interface ClientGroup {
  cluster?: string;
  labels?: Readonly<Record<string, string>>;
}

/** The effective routing of one service for clients in one locality. */
export interface Explanation {
  service: string;
  client: { kind: ClientKind; locality: Locality; label: string } & ClientGroup;
  /** The TrafficPolicy that exposes the service, with its position; undefined when none does. */
  policy?: { name: string; file: string; line: number; column: number; hostnames: readonly string[] };
  localityLb: { enabled: boolean; failoverRule?: { from: string; to: readonly string[] } };
  /** The policy's overrides that select the client's group, and the values they change; undefined without a policy. */
  overrides?: OverridesExplanation;
  overprovisioningFactor: number;
  panicThreshold: number;
  /** True when the cluster sets outlier detection, the health input of the clients themselves. */
  outlierDetection: boolean;
  /** The policy's active check, run by the prober mesh; undefined when the service is not checked. */
  healthCheck?: { protocol: string; intervalMs: number; unhealthyThreshold: number };
  localities: LocalityExplanation[];
  /** Sentences saying what would move traffic to the next priority. */
  nextMoves: string[];
  warnings: string[];
}

/**
 * Explains how clients of `kind` in `client` reach `service` (a registry name, or a hostname of a
 * TrafficPolicy): the priority and weight of each locality, what would shift traffic, and the
 * traps of the configuration. The facts are read from the resources the client is sent, so they
 * match what the xDS server serves. Returns undefined when no service has that name.
 */
export function explainService(
  registry: RegistrySnapshot,
  policies: readonly TrafficPolicy[],
  service: string,
  client: Locality,
  kind: ClientKind = 'envoy',
  group: ClientGroup = {},
  health?: HealthInput,
): Explanation | undefined {
  const policy = [...policies].sort((a, b) => (a.name < b.name ? -1 : 1)).find((candidate) => candidate.service === service || candidate.hostnames.includes(service));
  const serviceName = registry.services.has(service) ? service : policy?.service;
  if (serviceName === undefined || !registry.services.has(serviceName)) return undefined;

  const profile: ClientProfile = { kind, locality: client, ...group };
  const resources = buildResources(registry, policies, profile, health).byTypeUrl;
  const assignment = resources[TYPE_URL.clusterLoadAssignment].find((resource) => resource.name === serviceName)?.message;
  const cluster = resources[TYPE_URL.cluster].find((resource) => resource.name === serviceName)?.message;
  const overprovisioningFactor = wrappedNumber(field(assignment, 'policy', 'overprovisioning_factor')) ?? DEFAULT_OVERPROVISIONING_FACTOR;
  const panicThreshold = wrappedNumber(field(cluster, 'common_lb_config', 'healthy_panic_threshold')) ?? DEFAULT_PANIC_THRESHOLD;
  const outlierDetection = cluster?.outlier_detection !== undefined;
  const check = policy?.service === serviceName ? policy.healthCheck : undefined;
  const healthCheck = check && { protocol: check.protocol, intervalMs: check.intervalMs, unhealthyThreshold: check.unhealthyThreshold };
  const localities = localitiesOf(assignment, healthSourceOf(healthCheck, outlierDetection));

  const explanation: Explanation = {
    service: serviceName,
    client: { kind, locality: client, label: localityLabel(client), ...group },
    policy: policy && { name: policy.name, ...policy.source, hostnames: policy.hostnames },
    localityLb: {
      enabled: policy?.localityLb.enabled ?? true,
      failoverRule: policy?.localityLb.failover.find((rule) => rule.from === client.region),
    },
    overrides: policy && explainOverrides(policy, profile),
    overprovisioningFactor,
    panicThreshold,
    outlierDetection,
    healthCheck,
    localities,
    nextMoves: [],
    warnings: [],
  };
  explanation.nextMoves = nextMovesOf(localities, overprovisioningFactor);
  explanation.warnings = warningsOf(explanation);
  return explanation;
}

/** Describes where endpoint health comes from; the decided counts are added per locality. */
function healthSourceOf(healthCheck: Explanation['healthCheck'], outlierDetection: boolean): string {
  const parts: string[] = [];
  if (healthCheck) parts.push(`prober quorum (${healthCheck.protocol} check every ${healthCheck.intervalMs} ms)`);
  if (outlierDetection) parts.push('outlier detection in the client');
  return parts.length === 0 ? NO_HEALTH_SIGNAL : parts.join('; ');
}

function localitiesOf(assignment: ProtoObject | undefined, healthSource: string): LocalityExplanation[] {
  const groups = (assignment?.endpoints ?? []) as ProtoObject[];
  const weightOfPriority = new Map<number, number>();
  for (const group of groups) {
    const priority = Number(group.priority ?? 0);
    weightOfPriority.set(priority, (weightOfPriority.get(priority) ?? 0) + (wrappedNumber(group.load_balancing_weight) ?? 1));
  }
  return groups.map((group) => {
    const locality = group.locality as ProtoObject | undefined;
    const plain: Locality = { region: String(locality?.region ?? ''), zone: String(locality?.zone ?? ''), subZone: String(locality?.sub_zone ?? '') };
    const priority = Number(group.priority ?? 0);
    const weight = wrappedNumber(group.load_balancing_weight) ?? 1;
    const lbEndpoints = (group.lb_endpoints ?? []) as ProtoObject[];
    const healthyEndpoints = lbEndpoints.filter((lbEndpoint) => lbEndpoint.health_status !== 'UNHEALTHY').length;
    return {
      label: localityLabel(plain),
      locality: plain,
      priority,
      weight,
      shareOfPriority: round((100 * weight) / (weightOfPriority.get(priority) ?? weight)),
      endpoints: lbEndpoints.length,
      healthyEndpoints,
      health: healthSource === NO_HEALTH_SIGNAL ? healthSource : `${healthyEndpoints} of ${lbEndpoints.length} healthy; ${healthSource}`,
    };
  });
}

/**
 * States when each priority starts to spill to the next one. Envoy gives a priority
 * min(100%, healthy share × factor / 100) of the traffic, so it keeps all of it while at least
 * 100 / factor percent of its endpoints are healthy (71.4% with the default factor of 140).
 */
function nextMovesOf(localities: readonly LocalityExplanation[], factor: number): string[] {
  const priorities = [...new Set(localities.map((locality) => locality.priority))].sort((a, b) => a - b);
  if (priorities.length <= 1) {
    return ['No other priority exists: every locality already shares the traffic by weight, and no failover target is left.'];
  }
  const threshold = percentOfFactor(factor);
  const moves: string[] = [];
  for (let index = 0; index + 1 < priorities.length; index++) {
    const current = localities.filter((locality) => locality.priority === priorities[index]);
    const next = localities.filter((locality) => locality.priority === priorities[index + 1]);
    const endpoints = current.reduce((total, locality) => total + locality.endpoints, 0);
    const failures = Math.floor(endpoints * (1 - 100 / factor) + 1e-9) + 1;
    moves.push(
      `Envoy: ${labels(next)} (priority ${priorities[index + 1]}) takes over part of the traffic when fewer than ${threshold}% of ` +
        `${labels(current)}'s ${endpoints} endpoint(s) are healthy (here: when ${failures} of its ${endpoints} endpoint(s) fail), and all of it when none is.`,
    );
    moves.push(
      `gRPC: ${labels(next)} (priority ${priorities[index + 1]}) takes over all of the traffic when no endpoint of ${labels(current)} accepts ` +
        `connections, or when ${labels(current)} is still connecting after ${GRPC_PRIORITY_FAILOVER_TIMEOUT_MS / 1000} s.`,
    );
  }
  return moves;
}

function warningsOf(explanation: Explanation): string[] {
  const warnings: string[] = [];
  const priorities = new Set(explanation.localities.map((locality) => locality.priority));
  if (priorities.size > 1 && !explanation.outlierDetection && explanation.healthCheck === undefined) {
    warnings.push(
      'Failover has no health signal behind it: the policy sets no healthCheck, so the control plane marks every endpoint HEALTHY, ' +
        'and the cluster sets no outlier detection, so Envoy keeps sending traffic to failed endpoints of priority 0 and never ' +
        'fails over. gRPC clients still fail over when connections fail.',
    );
  }
  const spillPoint = percentOfFactor(explanation.overprovisioningFactor);
  if (priorities.size > 1 && explanation.panicThreshold > 0 && explanation.panicThreshold >= spillPoint) {
    warnings.push(
      `The panic threshold of ${explanation.panicThreshold}% is at or above the ${spillPoint}% healthy share where failover starts: ` +
        'when the other priorities cannot take all the traffic, a degraded priority enters panic mode and sends traffic to its unhealthy endpoints too.',
    );
  } else if (priorities.size > 1 && explanation.panicThreshold > 0) {
    warnings.push(
      `Panic threshold ${explanation.panicThreshold}%: once every priority together is less than fully available, a priority with fewer ` +
        'healthy endpoints than that sends traffic to all of its endpoints, unhealthy ones included.',
    );
  }
  if (priorities.size > 1) {
    warnings.push(
      `gRPC clients ignore the overprovisioning factor (${explanation.overprovisioningFactor}): grpc-js-xds 1.14 announces the client feature ` +
        '"envoy.lb.does_not_support_overprovisioning" and sends all traffic to the first priority that has a ready connection.',
    );
  }
  if (explanation.policy === undefined) {
    warnings.push(`No TrafficPolicy exposes ${explanation.service}, so no client is sent its resources; the priorities show what a policy with defaults would give.`);
  }
  return warnings;
}

/** Formats an explanation for people: a header, a table of localities, then what moves traffic and the warnings. */
export function formatExplanation(explanation: Explanation): string {
  const lines: string[] = [];
  lines.push(`Service ${explanation.service} for ${explanation.client.kind} clients in ${explanation.client.label}${groupText(explanation.client)}`);
  const policy = explanation.policy;
  lines.push(
    policy === undefined
      ? 'Policy: none'
      : `Policy: ${policy.name} (${policy.file}:${policy.line}:${policy.column}), hostnames: ${policy.hostnames.join(', ')}`,
  );
  const rule = explanation.localityLb.failoverRule;
  const ruleText = rule === undefined ? `no failover rule for region ${explanation.client.locality.region || '(none)'}` : `failover from ${rule.from} to ${rule.to.join(', ')}`;
  lines.push(`Locality load balancing: ${explanation.localityLb.enabled ? 'enabled' : 'disabled'}, ${ruleText}`);
  lines.push(`Overprovisioning factor: ${explanation.overprovisioningFactor}, panic threshold: ${explanation.panicThreshold}%`);
  lines.push('');
  lines.push(...table(['priority', 'locality', 'weight', 'share', 'endpoints', 'health'], explanation.localities.map((locality) => [
    String(locality.priority),
    locality.label,
    String(locality.weight),
    `${locality.shareOfPriority}%`,
    String(locality.endpoints),
    locality.health,
  ])));
  lines.push('');
  lines.push('What moves traffic next:');
  for (const move of explanation.nextMoves) lines.push(`  - ${move}`);
  if (explanation.overrides !== undefined) lines.push(...formatOverrides(explanation.overrides));
  if (explanation.warnings.length > 0) {
    lines.push('Warnings:');
    for (const warning of explanation.warnings) lines.push(`  - ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}

function groupText(group: ClientGroup): string {
  const parts: string[] = [];
  if (group.cluster !== undefined) parts.push(`cluster ${group.cluster}`);
  const labels = Object.entries(group.labels ?? {}).map(([key, value]) => `${key}=${value}`);
  if (labels.length > 0) parts.push(`labels ${labels.join(', ')}`);
  return parts.length === 0 ? '' : `, ${parts.join(', ')}`;
}

function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const format = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [format(header), ...rows.map(format)];
}

function labels(localities: readonly LocalityExplanation[]): string {
  return localities.map((locality) => locality.label).join(' + ');
}

/** Labels a locality `region/zone/sub-zone`, leaving out empty parts. */
export function localityLabel(locality: Locality): string {
  const parts = [locality.region, locality.zone, locality.subZone].filter((part) => part !== '');
  return parts.length === 0 ? '(unknown locality)' : parts.join('/');
}

function field(message: ProtoObject | undefined, ...path: string[]): unknown {
  let value: unknown = message;
  for (const key of path) value = (value as ProtoObject | undefined)?.[key];
  return value;
}

function wrappedNumber(value: unknown): number | undefined {
  const inner = (value as { value?: unknown } | undefined)?.value;
  return typeof inner === 'number' ? inner : undefined;
}

/** Returns the healthy share, in percent with one decimal, below which a priority spills traffic: 100 / (factor / 100). */
function percentOfFactor(factor: number): number {
  return Math.round(100_000 / factor) / 10;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
