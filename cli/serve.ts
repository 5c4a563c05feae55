import { createLogger, isLogLevel, LOG_LEVELS } from '../admin';
import { startMeridian } from '../controller';
import { startTracing, type Tracing } from '../telemetry';
import { DEFAULT_ADMISSION, type AdmissionOptions } from '../xds';
import type { HealthServeOptions } from './health-options';

/** Defaults of `meridian serve`. Both servers listen on loopback unless an option sets another address. */
export const SERVE_DEFAULTS = {
  xdsAddress: '127.0.0.1:18000',
  adminAddress: '127.0.0.1:18080',
  logLevel: 'info',
  debounceMs: 100,
  stateDir: '.meridian',
  maxDelayMs: 1000,
  syncTimeoutMs: 30_000,
  admissionRate: DEFAULT_ADMISSION.ratePerSecond,
  admissionBurst: DEFAULT_ADMISSION.burst,
} as const;

export interface ServeArguments extends Partial<HealthServeOptions> {
  configPaths: string[];
  xdsAddress: string;
  adminAddress: string;
  logLevel: string;
  debounceMs: number;
  /** Folder of the policy revisions and the last known good snapshot. */
  stateDir: string;
  maxDelayMs?: number;
  syncTimeoutMs?: number;
  admission?: AdmissionOptions;
  /** OTLP/HTTP traces address from `--otlp-endpoint` or the OTEL_EXPORTER_OTLP_* variables, already parsed. */
  otlpEndpoint?: string;
}

/** Runs the control plane until SIGINT or SIGTERM; resolves with the exit code. */
export async function runServe(args: ServeArguments): Promise<number> {
  if (args.configPaths.length === 0) {
    process.stderr.write('meridian: missing --config PATH; name a YAML file or folder, for example: meridian serve --config examples\n');
    return 2;
  }
  if (!isLogLevel(args.logLevel)) {
    process.stderr.write(`meridian: invalid --log-level "${args.logLevel}"; use one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }

  const logger = createLogger({ level: args.logLevel });
  const { otlpEndpoint, ...options } = args;
  let tracing: Tracing | undefined;
  if (otlpEndpoint !== undefined) {
    tracing = startTracing({ endpoint: otlpEndpoint, logger });
    logger.info({ endpoint: otlpEndpoint }, 'exporting traces over OTLP/HTTP');
  }
  let meridian;
  try {
    meridian = await startMeridian({ ...options, logger });
  } catch (error) {
    logger.fatal({ err: error }, 'meridian failed to start');
    process.stderr.write(`meridian: ${(error as Error).message}\n`);
    await tracing?.shutdown();
    return 1;
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ signal }, 'meridian stopping');
  await meridian.close();
  await tracing?.shutdown();
  return 0;
}
