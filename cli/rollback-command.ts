import type { RevisionOutcome } from '../store';
import { AdminRequestError, reportAdminError, requestAdmin } from './admin-client';
import { writeOutcome } from './apply-command';

/**
 * Asks the admin API to record revision `revision`'s policies as a new revision in force.
 * Resolves with 0 on success, 1 when the old policies are invalid with today's services, 2 when
 * the revision does not exist or the server could not be asked.
 */
export async function runRollbackCommand(
  revision: number,
  request: { server: string; author: string; message?: string },
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  try {
    const outcome = await requestAdmin<RevisionOutcome>(request.server, 'POST', '/api/v1/policies/rollback', {
      revision,
      author: request.author,
      ...(request.message === undefined ? {} : { message: request.message }),
    });
    writeOutcome(outcome, out);
    return 0;
  } catch (error) {
    if (error instanceof AdminRequestError) return reportAdminError(error, err);
    throw error;
  }
}
