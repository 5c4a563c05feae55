import type { ParseArgsConfig } from 'node:util';
import { DEFAULT_MAX_EJECT_SHARE, DEFAULT_REMOTE_PROBERS } from '../health';

/** Defaults of the health prober mesh options of `meridian serve`. */
export const HEALTH_SERVE_DEFAULTS = {
  reportIntervalMs: 1000,
  /** Silence after which a prober's votes lapse, in report intervals. */
  silenceReports: 5,
  maxEjectPercent: DEFAULT_MAX_EJECT_SHARE * 100,
  remoteProbers: DEFAULT_REMOTE_PROBERS,
} as const;

/** Limits of the options, shown in errors. */
const LIMITS = {
  reportIntervalMs: { min: 100, max: 60_000 },
  silenceMs: { min: 100, max: 600_000 },
  maxEjectPercent: { min: 1, max: 100 },
  remoteProbers: { min: 1, max: 10 },
} as const;

/** Health settings of `meridian serve`, as `startMeridian` takes them. */
export interface HealthServeOptions {
  healthReportIntervalMs: number;
  healthSilenceMs: number;
  healthMaxEjectShare: number;
  healthRemoteProbers: number;
}

/** `parseArgs` options of the health settings. */
export const HEALTH_SERVE_OPTIONS: ParseArgsConfig['options'] = {
  'health-report-interval-ms': { type: 'string' },
  'health-silence-ms': { type: 'string' },
  'health-max-eject-percent': { type: 'string' },
  'health-remote-probers': { type: 'string' },
};

/** Help lines of the health settings, in the layout of `meridian serve --help`. */
export const HEALTH_SERVE_HELP = `Health prober mesh (services whose TrafficPolicy sets healthCheck):
  --health-report-interval-ms N
                           How often probers send their results over HDS, in milliseconds, from
                           ${LIMITS.reportIntervalMs.min} to ${LIMITS.reportIntervalMs.max} (default ${HEALTH_SERVE_DEFAULTS.reportIntervalMs})
  --health-silence-ms N    Time without a report after which a prober's votes lapse, in
                           milliseconds, from ${LIMITS.silenceMs.min} to ${LIMITS.silenceMs.max}; silence never counts as failure
                           (default ${HEALTH_SERVE_DEFAULTS.silenceReports} report intervals)
  --health-max-eject-percent N
                           Maximum share of a service's endpoints that one prober's votes may eject
                           at once, in percent, from ${LIMITS.maxEjectPercent.min} to ${LIMITS.maxEjectPercent.max}; a larger change is held and
                           reported as the prober's fault (default ${HEALTH_SERVE_DEFAULTS.maxEjectPercent})
  --health-remote-probers N
                           Probers outside an endpoint's own zone that check it, from ${LIMITS.remoteProbers.min} to ${LIMITS.remoteProbers.max}
                           (default ${HEALTH_SERVE_DEFAULTS.remoteProbers})`;

/**
 * Reads the health settings from parsed `meridian serve` arguments. Returns the settings, or a
 * message that names the invalid value and the accepted range.
 */
export function readHealthServeOptions(values: Record<string, unknown>): HealthServeOptions | string {
  const reportIntervalMs = readInteger(values, 'health-report-interval-ms', LIMITS.reportIntervalMs, 'a whole number of milliseconds');
  if (typeof reportIntervalMs === 'string') return reportIntervalMs;
  const silenceMs = readInteger(values, 'health-silence-ms', LIMITS.silenceMs, 'a whole number of milliseconds');
  if (typeof silenceMs === 'string') return silenceMs;
  const maxEjectPercent = readInteger(values, 'health-max-eject-percent', LIMITS.maxEjectPercent, 'a whole percentage');
  if (typeof maxEjectPercent === 'string') return maxEjectPercent;
  const remoteProbers = readInteger(values, 'health-remote-probers', LIMITS.remoteProbers, 'a whole number of probers');
  if (typeof remoteProbers === 'string') return remoteProbers;

  const interval = reportIntervalMs ?? HEALTH_SERVE_DEFAULTS.reportIntervalMs;
  const silence = silenceMs ?? HEALTH_SERVE_DEFAULTS.silenceReports * interval;
  if (silence <= interval) {
    return `invalid --health-silence-ms "${silence}": it must be longer than the report interval (${interval} ms), or every prober would lapse between two reports; use at least ${2 * interval}`;
  }
  return {
    healthReportIntervalMs: interval,
    healthSilenceMs: silence,
    healthMaxEjectShare: (maxEjectPercent ?? HEALTH_SERVE_DEFAULTS.maxEjectPercent) / 100,
    healthRemoteProbers: remoteProbers ?? HEALTH_SERVE_DEFAULTS.remoteProbers,
  };
}

/** Reads one whole-number option; undefined when absent, a message when invalid. */
function readInteger(values: Record<string, unknown>, name: string, limits: { min: number; max: number }, unit: string): number | undefined | string {
  const text = values[name];
  if (typeof text !== 'string') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < limits.min || value > limits.max) {
    return `invalid --${name} "${text}": expected ${unit} from ${limits.min} to ${limits.max}`;
  }
  return value;
}
