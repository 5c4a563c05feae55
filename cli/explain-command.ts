import { parseLocality } from '../admin';
import { explainService, formatExplanation, type ClientGroup, type ClientKind } from '../policy';
import { AdminRequestError, reportAdminError, requestAdmin } from './admin-client';
import { loadLocalConfiguration } from './policy-files';

/** Source of the configuration that `meridian explain` reads: a running server or folders. */
export type ExplainSource = { server: string } | { config: string[] };

/**
 * Prints the effective routing of `service` for clients of `kind` in the `from` locality
 * (`REGION/ZONE[/SUBZONE]`), with the overrides that select the clients' `group`. Resolves with 0
 * on success, 1 when the service is unknown or the files are invalid, 2 when the server could not
 * be asked.
 */
export async function runExplainCommand(
  service: string,
  from: string,
  kind: ClientKind,
  source: ExplainSource,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  group: ClientGroup = {},
): Promise<number> {
  let locality;
  try {
    locality = parseLocality(from);
  } catch (error) {
    err.write(`meridian: ${(error as Error).message.replace('invalid locality', 'invalid --from')}\n`);
    return 2;
  }

  if ('server' in source) {
    const query = new URLSearchParams({ service, from, kind });
    if (group.cluster !== undefined) query.append('cluster', group.cluster);
    for (const [key, value] of Object.entries(group.labels ?? {})) query.append('label', `${key}=${value}`);
    try {
      const response = await requestAdmin<{ text: string }>(source.server, 'GET', `/api/v1/explain?${query.toString()}`);
      out.write(response.text);
      return 0;
    } catch (error) {
      if (error instanceof AdminRequestError) return reportAdminError(error, err) === 2 && /NOT_FOUND/.test(error.message) ? 1 : 2;
      throw error;
    }
  }

  const configuration = await loadLocalConfiguration(source.config, err);
  if (configuration === undefined) return 1;
  const explanation = explainService(configuration.registry, configuration.policies, service, locality, kind, group);
  if (explanation === undefined) {
    const known = [...configuration.registry.services.keys()].join(', ') || '(none)';
    err.write(`meridian: service "${service}" not found in ${source.config.join(', ')}; known services: ${known}\n`);
    return 1;
  }
  out.write(formatExplanation(explanation));
  return 0;
}
