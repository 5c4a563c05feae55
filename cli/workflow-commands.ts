import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkServerUrl, DEFAULT_SERVER_URL, AdminRequestError } from './admin-client';
import { runApplyCommand } from './apply-command';
import { runDiffCommand } from './diff-command';
import { runExplainCommand } from './explain-command';
import { runHistoryCommand } from './history-command';
import { runRollbackCommand } from './rollback-command';

/** Author recorded when `--author` is not given: the login name, or "unknown" when it cannot be read. */
function defaultAuthor(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

const SERVER_OPTION = `  --server URL             Admin API of the running server (default ${DEFAULT_SERVER_URL})`;

/** Help of each workflow command, printed by `meridian COMMAND --help` and `meridian help COMMAND`. */
export const WORKFLOW_HELP: Record<string, string> = {
  diff: `Usage: meridian diff PATH... [--server URL | --against DIR]

Dry run: shows which Envoy resources the TrafficPolicy files at PATH would change (added,
removed or modified, by type and name), for which proxy groups (client kind and locality) and
how many connected proxies, with a unified diff of each resource in YAML. Nothing is applied.
Exits with 0 when nothing changes, 1 when something does, 2 on invalid files or other errors.

Options:
${SERVER_OPTION}
  --against DIR            Compare with the configuration in DIR instead of a server. PATH may
                           then hold services too; without them, DIR's services are used
  -h, --help               Print this help`,
  apply: `Usage: meridian apply PATH... --message TEXT [--author NAME] [--server URL]

Sends the TrafficPolicy documents at PATH (files or folders) to the server, which validates them
with its services exactly as a file edit and records them as a new revision in force. Invalid
policies are rejected with every problem, and the revision in force stays. ServiceEndpoints
documents cannot be applied; change them in the watched folder.

Options:
  --message TEXT           Why the change is made, recorded with the revision (required)
  --author NAME            Who makes the change (default: the login name, here "${defaultAuthor()}")
${SERVER_OPTION}
  -h, --help               Print this help`,
  history: `Usage: meridian history [--server URL]

Lists the policy revisions of the server, oldest first: id, time, content hash, author and
message. The revision in force is marked with *.

Options:
${SERVER_OPTION}
  -h, --help               Print this help`,
  rollback: `Usage: meridian rollback REV [--author NAME] [--message TEXT] [--server URL]

Records the policies of revision REV again as a new revision in force, after validating them with
the services in force today. History is never rewritten.

Options:
  --author NAME            Who rolls back (default: the login name, here "${defaultAuthor()}")
  --message TEXT           Why (default "rollback to revision REV")
${SERVER_OPTION}
  -h, --help               Print this help`,
  explain: `Usage: meridian explain SERVICE --from REGION/ZONE[/SUBZONE] [--kind envoy|grpc] [--cluster NAME] [--label KEY=VALUE]... [--server URL | --config DIR]

Shows how clients in a locality reach SERVICE (a service name or a hostname of a TrafficPolicy):
each locality's priority, weight and share, the health inputs behind them, the policy and
failover rule that applied, the overrides that select the clients and the values they change,
what would move traffic next, and traps in the configuration.

Options:
  --from LOCALITY          Locality of the clients: REGION, REGION/ZONE or REGION/ZONE/SUBZONE (required)
  --kind KIND              Client kind, envoy or grpc (default envoy)
  --cluster NAME           Kubernetes cluster or site of the clients (node metadata MERIDIAN_CLUSTER),
                           for overrides that select a cluster
  --label KEY=VALUE        Group label of the clients (node metadata MERIDIAN_GROUP_LABELS), for
                           overrides that select metadata; repeat for several
${SERVER_OPTION}
  --config DIR             Read the configuration from files instead of a server (repeat for several)
  -h, --help               Print this help`,
};

const OPTIONS: Record<string, ParseArgsConfig['options']> = {
  diff: { server: { type: 'string' }, against: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  apply: { server: { type: 'string' }, author: { type: 'string' }, message: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  history: { server: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  rollback: { server: { type: 'string' }, author: { type: 'string' }, message: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  explain: {
    server: { type: 'string' },
    config: { type: 'string', multiple: true },
    from: { type: 'string' },
    kind: { type: 'string' },
    cluster: { type: 'string' },
    label: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
};

/** The workflow command names, in the order `meridian help` lists them. */
export const WORKFLOW_COMMANDS = Object.keys(OPTIONS);

type Values = Record<string, string | boolean | string[] | undefined>;

class WorkflowUsageError extends Error {}

/** Runs `meridian diff|apply|history|rollback|explain` and resolves with the exit status. */
export async function runWorkflowCommand(command: string, args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  try {
    let parsed: { values: Values; positionals: string[] };
    try {
      parsed = parseArgs({ args, options: OPTIONS[command], allowPositionals: true, strict: true }) as typeof parsed;
    } catch (error) {
      throw new WorkflowUsageError(`${(error as Error).message}. Run 'meridian ${command} --help' for the options.`);
    }
    const { values, positionals } = parsed;
    if (values.help === true) {
      out.write(`${WORKFLOW_HELP[command]}\n`);
      return 0;
    }
    return await dispatch(command, values, positionals, out, err);
  } catch (error) {
    if (error instanceof WorkflowUsageError || error instanceof AdminRequestError) {
      err.write(`meridian: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

async function dispatch(command: string, values: Values, positionals: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const server = checkServerUrl((values.server as string | undefined) ?? DEFAULT_SERVER_URL);
  const author = (values.author as string | undefined) ?? defaultAuthor();
  switch (command) {
    case 'diff': {
      requirePaths(positionals, 'diff', 'meridian diff policies.yaml --against examples');
      const against = values.against as string | undefined;
      if (against !== undefined && values.server !== undefined) throw new WorkflowUsageError('pass either --server or --against, not both');
      return runDiffCommand(positionals, against === undefined ? { server } : { against }, out, err);
    }
    case 'apply': {
      requirePaths(positionals, 'apply', "meridian apply policies.yaml --message 'move checkout to eu-central'");
      const message = values.message as string | undefined;
      if (message === undefined || message.trim() === '') throw new WorkflowUsageError("missing --message TEXT; say why the change is made, for example --message 'canary at 5%'");
      return runApplyCommand(positionals, { server, author, message }, out, err);
    }
    case 'history':
      if (positionals.length > 0) throw new WorkflowUsageError(`unexpected argument "${positionals[0]}"; history takes options only`);
      return runHistoryCommand(server, out, err);
    case 'rollback': {
      if (positionals.length !== 1 || !/^[1-9]\d*$/.test(positionals[0])) {
        throw new WorkflowUsageError(`expected one revision id (a whole number from 1) as listed by 'meridian history', got ${positionals.length === 0 ? 'none' : `"${positionals.join(' ')}"`}`);
      }
      return runRollbackCommand(Number(positionals[0]), { server, author, message: values.message as string | undefined }, out, err);
    }
    default: {
      if (positionals.length !== 1) throw new WorkflowUsageError('expected one SERVICE, for example: meridian explain checkout.shop --from eu-west/eu-west-1a');
      const from = values.from as string | undefined;
      if (from === undefined) throw new WorkflowUsageError('missing --from REGION/ZONE; name the locality of the clients, for example --from eu-west/eu-west-1a');
      const kind = (values.kind as string | undefined) ?? 'envoy';
      if (kind !== 'envoy' && kind !== 'grpc') throw new WorkflowUsageError(`invalid --kind "${kind}"; use envoy or grpc`);
      const config = values.config as string[] | undefined;
      if (config !== undefined && values.server !== undefined) throw new WorkflowUsageError('pass either --server or --config, not both');
      const group = { cluster: values.cluster as string | undefined, labels: parseLabels((values.label as string[] | undefined) ?? []) };
      return runExplainCommand(positionals[0], from, kind, config === undefined ? { server } : { config }, out, err, group);
    }
  }
}

/** Parses `--label KEY=VALUE` options into group labels. */
function parseLabels(options: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const option of options) {
    const separator = option.indexOf('=');
    if (separator <= 0) throw new WorkflowUsageError(`invalid --label "${option}"; write KEY=VALUE, for example --label tier=edge`);
    labels[option.slice(0, separator)] = option.slice(separator + 1);
  }
  return labels;
}

function requirePaths(positionals: readonly string[], command: string, example: string): void {
  if (positionals.length === 0) throw new WorkflowUsageError(`missing PATH; name the TrafficPolicy files or folders for ${command}, for example: ${example}`);
}
