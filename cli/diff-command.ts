import { formatDiagnostics, hasErrors, loadDocuments } from '../config';
import { SERVICE_ENDPOINTS_KIND, serviceEndpointsKind } from '../discovery';
import {
  createConfigKinds,
  diffConfigurations,
  formatConfigurationDiff,
  groupsOfRegistry,
  trafficPolicyKind,
  type ConfigurationDiff,
  type MeshConfiguration,
} from '../policy';
import { candidateOf } from '../store';
import { AdminRequestError, reportAdminError, requestAdmin } from './admin-client';
import { loadLocalConfiguration, readPolicyFiles, registryOf } from './policy-files';

/** Baseline of `meridian diff`: the policies in force on a server, or a folder. */
export type DiffBaseline = { server: string } | { against: string };

/**
 * Prints which resources the files at `paths` would change, and resolves with 0 when nothing
 * changes, 1 when something does, and 2 when the files are invalid or the server cannot be asked.
 */
export async function runDiffCommand(paths: string[], baseline: DiffBaseline, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let diff: ConfigurationDiff | undefined;
  try {
    diff = 'server' in baseline ? await diffAgainstServer(paths, baseline.server) : await diffAgainstFolder(paths, baseline.against, err);
  } catch (error) {
    if (error instanceof AdminRequestError) {
      reportAdminError(error, err);
      return 2;
    }
    err.write(`meridian: ${(error as Error).message}\n`);
    return 2;
  }
  if (diff === undefined) return 2;
  out.write(formatConfigurationDiff(diff));
  return diff.changes.length === 0 ? 0 : 1;
}

async function diffAgainstServer(paths: readonly string[], server: string): Promise<ConfigurationDiff> {
  const files = await readPolicyFiles(paths);
  const response = await requestAdmin<{ diff: ConfigurationDiff }>(server, 'POST', '/api/v1/policies/diff', { files });
  return response.diff;
}

/**
 * Compares against a folder. When `paths` hold ServiceEndpoints documents they are a complete
 * configuration; otherwise their TrafficPolicy documents replace the folder's, on the folder's
 * services, as `meridian apply` would.
 */
async function diffAgainstFolder(paths: readonly string[], folder: string, err: NodeJS.WritableStream): Promise<ConfigurationDiff | undefined> {
  const baseline = await loadLocalConfiguration([folder], err);
  if (baseline === undefined) return undefined;

  const kinds = createConfigKinds();
  const pathDocuments = await loadDocuments(paths);
  const complete = kinds.validate(pathDocuments).set.declaredNames(SERVICE_ENDPOINTS_KIND).length > 0;
  const loaded = complete ? pathDocuments : candidateOf(await loadDocuments([folder]), await readPolicyFiles(paths), { rejectOtherKinds: false });
  const { set, diagnostics } = kinds.validate(loaded);
  if (hasErrors(diagnostics)) {
    err.write(`${formatDiagnostics(diagnostics)}\n`);
    return undefined;
  }
  const candidate: MeshConfiguration = {
    registry: registryOf(set.of(serviceEndpointsKind).map((document) => document.value)),
    policies: set.of(trafficPolicyKind).map((document) => document.value),
  };
  const groups = groupsOfRegistry(baseline.registry).map((profile) => ({ profile, proxies: 0 }));
  return diffConfigurations(baseline, candidate, groups);
}
