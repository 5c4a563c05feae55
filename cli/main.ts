import { parseArgs, type ParseArgsConfig } from 'node:util';
import { otlpEndpointFromEnvironment, parseOtlpEndpoint } from '../telemetry';
import { HEALTH_SERVE_HELP, HEALTH_SERVE_OPTIONS, readHealthServeOptions } from './health-options';
import { PROBER_USAGE, runProberCommand } from './prober';
import { runSchemaCommand, SCHEMA_USAGE } from './schema-command';
import { runServe, SERVE_DEFAULTS } from './serve';
import { runValidateCommand } from './validate-command';
import { runWorkflowCommand, WORKFLOW_COMMANDS, WORKFLOW_HELP } from './workflow-commands';

const USAGE = `Usage: meridian COMMAND [OPTIONS]

Meridian is an xDS control plane for Envoy sidecars and proxyless gRPC clients.

Commands:
  serve      Serve xDS from a folder of service and traffic policy YAML
  validate   Check YAML files as the running server would, and print every problem
  prober     Run a health prober in one locality, assigned by the control plane over HDS
  diff       Show which resources policy files would change, for which proxies (dry run)
  apply      Record policy files as a new revision on a running server
  history    List the policy revisions of a running server
  rollback   Put the policies of an earlier revision back in force
  explain    Show how clients in a locality reach a service, and what moves their traffic
  schema     Print the JSON Schema of the YAML documents, for editors
  help       Print this help, or the help of a command: meridian help serve

Run 'meridian COMMAND --help' for the options of a command.`;

const SERVE_USAGE = `Usage: meridian serve --config PATH [OPTIONS]

Serves xDS (ADS and the per-type services, state of the world and delta) to Envoy and gRPC
clients, with resources computed from the ServiceEndpoints and TrafficPolicy documents under PATH.
Edits to the files are applied without a restart. An invalid edit is rejected and logged, and the
running configuration stays as it was.

Options:
  --config PATH            YAML file or folder of YAML files to serve (required; repeat for several)
  --xds-address HOST:PORT  Address the xDS gRPC server listens on (default ${SERVE_DEFAULTS.xdsAddress})
  --admin-address HOST:PORT
                           Address of the admin HTTP server: health, readiness, metrics, debug
                           views and the policy API (default ${SERVE_DEFAULTS.adminAddress})
  --log-level LEVEL        fatal, error, warn, info, debug, trace or silent (default ${SERVE_DEFAULTS.logLevel})
  --debounce-ms N          Quiet period after a change before proxies are updated, in
                           milliseconds (default ${SERVE_DEFAULTS.debounceMs})
  --state-dir DIR          Folder for the policy revisions and the last known good snapshot, kept
                           across restarts (default ${SERVE_DEFAULTS.stateDir} in the working folder)
  --max-delay-ms N         Maximum time a change waits while further changes keep arriving, in
                           milliseconds (default ${SERVE_DEFAULTS.maxDelayMs})
  --sync-timeout-ms N      Maximum wait at start for discovery sources to sync, in milliseconds;
                           meanwhile proxies get the last known good snapshot (default ${SERVE_DEFAULTS.syncTimeoutMs})
  --admission-rate N       New xDS streams served per second during a reconnect storm; 0 turns
                           pacing off (default ${SERVE_DEFAULTS.admissionRate})
  --admission-burst N      New xDS streams served at once before pacing starts (default ${SERVE_DEFAULTS.admissionBurst})
  --otlp-endpoint URL      Send OpenTelemetry traces over OTLP/HTTP to URL, for example
                           http://127.0.0.1:4318 (the path defaults to /v1/traces). Without it,
                           traces go where OTEL_EXPORTER_OTLP_ENDPOINT or
                           OTEL_EXPORTER_OTLP_TRACES_ENDPOINT says, and nowhere when neither is set
  -h, --help               Print this help

${HEALTH_SERVE_HELP}`;

const VALIDATE_USAGE = `Usage: meridian validate PATH...

Checks ServiceEndpoints and TrafficPolicy YAML (files or folders) exactly as 'meridian serve'
would load them, references between documents included. Prints every problem as
FILE:LINE:COLUMN: severity CODE: field path: message, and exits with status 1 when any error is
found, 0 otherwise (warnings alone do not fail).

Options:
  -h, --help   Print this help`;

const HELP: Record<string, string> = { serve: SERVE_USAGE, validate: VALIDATE_USAGE, prober: PROBER_USAGE, schema: SCHEMA_USAGE, ...WORKFLOW_HELP };

const SERVE_OPTIONS: ParseArgsConfig['options'] = {
  config: { type: 'string', multiple: true },
  'xds-address': { type: 'string' },
  'admin-address': { type: 'string' },
  'log-level': { type: 'string' },
  'debounce-ms': { type: 'string' },
  'state-dir': { type: 'string' },
  'max-delay-ms': { type: 'string' },
  'sync-timeout-ms': { type: 'string' },
  'admission-rate': { type: 'string' },
  'admission-burst': { type: 'string' },
  'otlp-endpoint': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...HEALTH_SERVE_OPTIONS,
};

/** Usage error whose message names the wrong argument and the fix. */
class UsageError extends Error {}

function otlpEndpointFromEnvironmentOption(): string | undefined {
  try {
    return otlpEndpointFromEnvironment();
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; fix the variable or unset it`);
  }
}

function parseOtlpOption(text: string): string {
  try {
    return parseOtlpEndpoint(text);
  } catch (error) {
    throw new UsageError(`--otlp-endpoint: ${(error as Error).message}`);
  }
}

type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options'], command: string): { values: ParsedValues; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: ParsedValues; positionals: string[] };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. Run 'meridian ${command} --help' for the options.`);
  }
}

/** Runs the CLI and resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        // A missing command is a usage error, so scripts that forget it fail; the help goes to stderr.
        process.stderr.write(`${USAGE}\n`);
        return 2;
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        process.stdout.write(`${(topic && HELP[topic]) || USAGE}\n`);
        return 0;
      }
      case 'serve': {
        const { values, positionals } = parse(rest, SERVE_OPTIONS, 'serve');
        if (values.help) {
          process.stdout.write(`${SERVE_USAGE}\n`);
          return 0;
        }
        if (positionals.length > 0) {
          throw new UsageError(`unexpected argument "${positionals[0]}"; pass files and folders with --config PATH`);
        }
        const debounce = values['debounce-ms'] as string | undefined;
        const health = readHealthServeOptions(values);
        if (typeof health === 'string') throw new UsageError(health);
        const otlp = values['otlp-endpoint'] as string | undefined;
        return await runServe({
          otlpEndpoint: otlp === undefined ? otlpEndpointFromEnvironmentOption() : parseOtlpOption(otlp),
          ...health,
          configPaths: (values.config as string[] | undefined) ?? [],
          xdsAddress: (values['xds-address'] as string | undefined) ?? SERVE_DEFAULTS.xdsAddress,
          adminAddress: (values['admin-address'] as string | undefined) ?? SERVE_DEFAULTS.adminAddress,
          logLevel: (values['log-level'] as string | undefined) ?? SERVE_DEFAULTS.logLevel,
          debounceMs: debounce === undefined ? SERVE_DEFAULTS.debounceMs : parseMilliseconds(debounce, '--debounce-ms'),
          stateDir: (values['state-dir'] as string | undefined) ?? SERVE_DEFAULTS.stateDir,
          maxDelayMs: optionalMilliseconds(values['max-delay-ms'], '--max-delay-ms') ?? SERVE_DEFAULTS.maxDelayMs,
          syncTimeoutMs: optionalMilliseconds(values['sync-timeout-ms'], '--sync-timeout-ms') ?? SERVE_DEFAULTS.syncTimeoutMs,
          admission: {
            ratePerSecond: optionalCount(values['admission-rate'], '--admission-rate', 0) ?? SERVE_DEFAULTS.admissionRate,
            burst: optionalCount(values['admission-burst'], '--admission-burst', 1) ?? SERVE_DEFAULTS.admissionBurst,
          },
        });
      }
      case 'prober':
        return await runProberCommand(rest);
      case 'validate': {
        const { values, positionals } = parse(rest, { help: { type: 'boolean', short: 'h' } }, 'validate');
        if (values.help) {
          process.stdout.write(`${VALIDATE_USAGE}\n`);
          return 0;
        }
        if (positionals.length === 0) throw new UsageError('missing PATH; name the YAML files or folders to check, for example: meridian validate examples');
        return await runValidateCommand(positionals, process.stdout);
      }
      case 'diff':
      case 'apply':
      case 'history':
      case 'rollback':
      case 'explain':
        return await runWorkflowCommand(command, rest, process.stdout, process.stderr);
      case 'schema':
        return await runSchemaCommand(rest, process.stdout, process.stderr);
      default:
        throw new UsageError(`unknown command "${command}"; the commands are serve, validate, prober, ${WORKFLOW_COMMANDS.join(', ')}, schema and help`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`meridian: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function parseMilliseconds(text: string, option: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 60_000) {
    throw new UsageError(`invalid ${option} "${text}": expected a whole number of milliseconds from 0 to 60000`);
  }
  return value;
}

function optionalMilliseconds(value: unknown, option: string): number | undefined {
  return typeof value === 'string' ? parseMilliseconds(value, option) : undefined;
}

function optionalCount(value: unknown, option: string, minimum: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < minimum || count > 1_000_000) {
    throw new UsageError(`invalid ${option} "${value}": expected a whole number from ${minimum} to 1000000`);
  }
  return count;
}

export { UsageError };
