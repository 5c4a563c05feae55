import { formatDiagnostics, type Diagnostic } from '../config';
import type { RevisionOutcome, RevisionSummary } from '../store';
import { AdminRequestError, reportAdminError, requestAdmin } from './admin-client';
import { readPolicyFiles } from './policy-files';

/**
 * Sends TrafficPolicy files to the admin API to become the revision in force. Resolves with 0 when
 * they were recorded or changed nothing, 1 when the server rejected them, 2 when it could not be asked.
 */
export async function runApplyCommand(
  paths: string[],
  request: { server: string; author: string; message: string },
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  try {
    const files = await readPolicyFiles(paths);
    const outcome = await requestAdmin<RevisionOutcome>(request.server, 'POST', '/api/v1/policies/apply', {
      files,
      author: request.author,
      message: request.message,
    });
    writeOutcome(outcome, out);
    return 0;
  } catch (error) {
    if (error instanceof AdminRequestError) return reportAdminError(error, err);
    err.write(`meridian: ${(error as Error).message}\n`);
    return 2;
  }
}

/** Prints the warnings of an accepted candidate and the revision in force. */
export function writeOutcome(outcome: RevisionOutcome, out: NodeJS.WritableStream): void {
  const warnings: Diagnostic[] = outcome.diagnostics;
  if (warnings.length > 0) out.write(`${formatDiagnostics(warnings)}\n`);
  const revision = outcome.revision as RevisionSummary;
  if (outcome.unchanged) {
    out.write(`No change: revision ${revision.id} (${revision.hash}) already has these policies and stays in force.\n`);
  } else {
    out.write(`Revision ${revision.id} (${revision.hash}) by ${revision.author} is now in force.\n`);
  }
}
