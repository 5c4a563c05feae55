import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger, isLogLevel, LOG_LEVELS } from '../admin';
import type { Locality } from '../discovery';
import { Prober } from '../health';

export const PROBER_USAGE = `Usage: meridian prober --locality REGION/ZONE[/SUB_ZONE] --control-plane HOST:PORT [OPTIONS]

Runs a health prober in one locality. It connects to the control plane over Envoy's Health
Discovery Service (HDS, on the xDS port), checks the endpoints it is assigned, sends the results,
and measures round-trip times to the other probers.

Options:
  --locality REGION/ZONE[/SUB_ZONE]
                           Where this prober runs (required)
  --control-plane ADDRESS  xDS address of the control plane: HOST:PORT or unix:PATH (required)
  --id ID                  Node id sent to the control plane; unique per prober
                           (default prober-HOSTNAME-PID)
  --probe-address HOST:PORT
                           Address on which other probers connect to measure round-trip times;
                           port 0 picks a free port (default: not measured)
  --probe-advertise HOST:PORT
                           Address sent to other probers in place of --probe-address, when they
                           reach it through NAT or a TCP proxy (default: the probe address)
  --log-level LEVEL        fatal, error, warn, info, debug, trace or silent (default info)
  -h, --help               Print this help`;

/** Parses `REGION/ZONE[/SUB_ZONE]`; returns undefined when the text has another shape. */
export function parseProberLocality(text: string): Locality | undefined {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part === '')) return undefined;
  return { region: parts[0], zone: parts[1], subZone: parts[2] ?? '' };
}

/** Runs `meridian prober` until SIGINT or SIGTERM; resolves with the exit code. */
export async function runProberCommand(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args,
      strict: true,
      options: {
        locality: { type: 'string' },
        'control-plane': { type: 'string' },
        id: { type: 'string' },
        'probe-address': { type: 'string' },
        'probe-advertise': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return usageError(`${(error as Error).message}. Run 'meridian prober --help' for the options.`);
  }
  if (values.help) {
    process.stdout.write(`${PROBER_USAGE}\n`);
    return 0;
  }

  const localityText = values.locality as string | undefined;
  if (localityText === undefined) return usageError('missing --locality; give the locality of this prober, for example --locality eu-west/eu-west-1a');
  const locality = parseProberLocality(localityText);
  if (locality === undefined) return usageError(`invalid --locality "${localityText}": expected REGION/ZONE or REGION/ZONE/SUB_ZONE, for example eu-west/eu-west-1a`);
  const controlPlane = values['control-plane'] as string | undefined;
  if (controlPlane === undefined) return usageError('missing --control-plane; give the xDS address of the control plane, for example --control-plane 127.0.0.1:18000');
  const logLevel = (values['log-level'] as string | undefined) ?? 'info';
  if (!isLogLevel(logLevel)) return usageError(`invalid --log-level "${logLevel}"; use one of ${LOG_LEVELS.join(', ')}`);

  const logger = createLogger({ level: logLevel });
  const prober = new Prober({
    id: (values.id as string | undefined) ?? `prober-${hostname()}-${process.pid}`,
    locality,
    controlPlane,
    probeListen: values['probe-address'] as string | undefined,
    probeAdvertise: values['probe-advertise'] as string | undefined,
    logger,
  });
  try {
    await prober.start();
  } catch (error) {
    process.stderr.write(`meridian: ${(error as Error).message}\n`);
    return 1;
  }
  logger.info({ locality: localityText, controlPlane }, 'prober started');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  prober.stop();
  logger.info('prober stopped');
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`meridian: ${message}\n`);
  return 2;
}
