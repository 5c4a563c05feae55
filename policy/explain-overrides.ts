import type { ClientProfile, ClientSelector, SourcePosition, TrafficPolicy } from './model';
import { matchingOverrides } from './overrides';
import { formatDuration } from './readers';
import { OVERRIDE_SETTINGS, settingOf } from './route-readers';

/** A setting that an override may replace, by its YAML name. */
export type OverrideSetting = (typeof OVERRIDE_SETTINGS)[number];

/** One setting of an override that selects the explained group. */
export interface OverrideSettingExplanation {
  setting: OverrideSetting;
  /** The value the override sets, formatted for people. */
  value: string;
  /** Index of the override that replaces this value for the group; undefined when this value is in force. */
  replacedBy?: number;
}

/** An override of the policy that selects the explained group. */
export interface AppliedOverride {
  /** Index in `spec.overrides`. */
  index: number;
  source: SourcePosition;
  /** The selector, formatted as `region=R, zone=Z, cluster=C, metadata.KEY=VALUE`. */
  selector: string;
  settings: OverrideSettingExplanation[];
}

/** A setting whose effective value for the group differs from the policy's own. */
export interface EffectiveChange {
  setting: OverrideSetting;
  policyValue: string;
  effectiveValue: string;
  /** Index of the override whose value is in force. */
  override: number;
}

/** The overrides behind the settings of one group. */
export interface OverridesExplanation {
  /** Number of overrides the policy defines, selecting the group or not. */
  defined: number;
  /** The overrides that select the group, in the order they apply (least specific first). */
  applied: AppliedOverride[];
  changes: EffectiveChange[];
}

/**
 * Lists the overrides of `policy` that select `client`, which of their settings are in force, and
 * the effective values that differ from the policy's own. Follows the precedence of `applyOverrides`.
 */
export function explainOverrides(policy: TrafficPolicy, client: ClientProfile): OverridesExplanation {
  const matching = matchingOverrides(policy, client);
  const winner = new Map<OverrideSetting, number>();
  for (const { override, index } of matching) {
    for (const setting of OVERRIDE_SETTINGS) {
      if (settingOf(override, setting) !== undefined) winner.set(setting, index);
    }
  }

  const applied = matching.map(({ override, index }): AppliedOverride => ({
    index,
    source: override.source,
    selector: formatSelector(override.clients),
    settings: OVERRIDE_SETTINGS.filter((setting) => settingOf(override, setting) !== undefined).map((setting) => {
      const explanation: OverrideSettingExplanation = { setting, value: formatSettingValue(setting, settingOf(override, setting)) };
      const inForce = winner.get(setting);
      if (inForce !== index) explanation.replacedBy = inForce;
      return explanation;
    }),
  }));

  const changes: EffectiveChange[] = [];
  for (const [setting, index] of winner) {
    const policyValue = policySettingOf(policy, setting);
    const effective = settingOf(policy.overrides[index], setting);
    if (JSON.stringify(policyValue) === JSON.stringify(effective)) continue;
    changes.push({ setting, policyValue: formatSettingValue(setting, policyValue), effectiveValue: formatSettingValue(setting, effective), override: index });
  }
  changes.sort((a, b) => OVERRIDE_SETTINGS.indexOf(a.setting) - OVERRIDE_SETTINGS.indexOf(b.setting));
  return { defined: policy.overrides.length, applied, changes };
}

/** Formats the overrides part of an explanation: one line per override, then the changed values. */
export function formatOverrides(overrides: OverridesExplanation): string[] {
  if (overrides.defined === 0) return ['Overrides: the policy defines none.'];
  if (overrides.applied.length === 0) return [`Overrides: none of the policy's ${overrides.defined} override(s) selects this group.`];

  const lines = ['Overrides that select this group, in the order they apply:'];
  for (const override of overrides.applied) {
    const where = `${override.source.file}:${override.source.line}:${override.source.column}`;
    const settings = override.settings.map((entry) => (entry.replacedBy === undefined ? entry.setting : `${entry.setting} (replaced by overrides[${entry.replacedBy}])`));
    lines.push(`  - overrides[${override.index}] (${where}) selects ${override.selector}: sets ${settings.join(', ')}`);
  }
  if (overrides.changes.length === 0) {
    lines.push('Effective values changed by overrides: none (the overrides set the values the policy has).');
    return lines;
  }
  lines.push('Effective values changed by overrides:');
  for (const change of overrides.changes) {
    lines.push(`  - ${change.setting}: ${change.policyValue} -> ${change.effectiveValue} (overrides[${change.override}])`);
  }
  return lines;
}

function policySettingOf(policy: TrafficPolicy, setting: OverrideSetting): unknown {
  return setting === 'timeout' ? policy.timeoutMs : policy[setting];
}

function formatSelector(selector: ClientSelector): string {
  const parts: string[] = [];
  if (selector.region !== undefined) parts.push(`region=${selector.region}`);
  if (selector.zone !== undefined) parts.push(`zone=${selector.zone}`);
  if (selector.cluster !== undefined) parts.push(`cluster=${selector.cluster}`);
  for (const [key, value] of Object.entries(selector.metadata)) parts.push(`metadata.${key}=${value}`);
  return parts.join(', ');
}

/**
 * Formats a setting's value in the words of the YAML: durations such as `500ms` under their YAML
 * name (`timeoutMs` becomes `timeout`), and mappings as `{key=value, ...}`.
 */
export function formatSettingValue(setting: OverrideSetting, value: unknown): string {
  if (value === undefined) return '(not set)';
  if (setting === 'timeout' && typeof value === 'number') return formatDuration(value);
  return formatPart(value);
}

function formatPart(value: unknown, key = ''): string {
  if (typeof value === 'number' && key.endsWith('Ms')) return formatDuration(value);
  if (Array.isArray(value)) return `[${value.map((item) => formatPart(item)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, field]) => field !== undefined);
    return `{${entries.map(([field, inner]) => `${field.endsWith('Ms') ? field.slice(0, -2) : field}=${formatPart(inner, field)}`).join(', ')}}`;
  }
  return String(value);
}
