import { formatDiagnostics, type Diagnostic } from '../config';

/** Admin API address the workflow commands use when `--server` is not given: `meridian serve`'s default. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:18080';

/** A failure to talk to the admin API, or an error response from it; the message is ready for the terminal. */
export class AdminRequestError extends Error {
  constructor(
    message: string,
    /** The response's `diagnostics`, when the server rejected policies. */
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
    this.name = 'AdminRequestError';
  }
}

/** Checks a `--server` value: an http or https URL without a path. Returns the URL without a trailing slash. */
export function checkServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AdminRequestError(`invalid --server "${text}": expected an http URL such as ${DEFAULT_SERVER_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AdminRequestError(`invalid --server "${text}": expected an http or https URL such as ${DEFAULT_SERVER_URL}`);
  }
  return text.replace(/\/+$/, '');
}

/**
 * Sends a JSON request to the admin API and returns the parsed response body. Throws
 * `AdminRequestError` when the server cannot be reached or responds with an error status.
 */
export async function requestAdmin<T>(server: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${server}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new AdminRequestError(`cannot reach the admin API at ${server}: ${cause}; start 'meridian serve' or pass --server URL`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AdminRequestError(`the admin API at ${server} responded to ${method} ${path} with status ${response.status} and a body that is not JSON; check that --server names a Meridian admin API`);
  }
  if (!response.ok) {
    const error = parsed as { code?: string; message?: string; diagnostics?: Diagnostic[] };
    throw new AdminRequestError(`${error.code ?? `HTTP ${response.status}`}: ${error.message ?? text}`, error.diagnostics ?? []);
  }
  return parsed as T;
}

/** Writes an admin error and its diagnostics to stderr and returns the exit status for it. */
export function reportAdminError(error: AdminRequestError, err: NodeJS.WritableStream): number {
  if (error.diagnostics.length > 0) err.write(`${formatDiagnostics(error.diagnostics)}\n`);
  err.write(`meridian: ${error.message}\n`);
  return error.diagnostics.length > 0 ? 1 : 2;
}
