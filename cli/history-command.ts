import type { ListedRevision } from '../store';
import { AdminRequestError, reportAdminError, requestAdmin } from './admin-client';

/** Prints the policy revisions of a server, oldest first, marking the one in force with `*`. */
export async function runHistoryCommand(server: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let revisions: ListedRevision[];
  try {
    revisions = (await requestAdmin<{ revisions: ListedRevision[] }>(server, 'GET', '/api/v1/policies/revisions')).revisions;
  } catch (error) {
    if (error instanceof AdminRequestError) return reportAdminError(error, err);
    throw error;
  }
  out.write(formatHistory(revisions));
  return 0;
}

/** Formats revisions as a table: id, time, hash, author and message, with `*` before the one in force. */
export function formatHistory(revisions: readonly ListedRevision[]): string {
  if (revisions.length === 0) return 'No revisions recorded yet.\n';
  const rows = revisions.map((revision) => [
    `${revision.inForce ? '*' : ' '} ${revision.id}`,
    revision.time,
    revision.hash,
    revision.author,
    revision.rollbackOf === undefined ? revision.message : `${revision.message} (content of revision ${revision.rollbackOf})`,
  ]);
  const header = ['  ID', 'TIME', 'HASH', 'AUTHOR', 'MESSAGE'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const format = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return `${[format(header), ...rows.map(format)].join('\n')}\n`;
}
