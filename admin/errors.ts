/** Stable codes of the errors the admin API returns. Clients match on these, never on messages. */
export const ADMIN_ERROR_CODES = {
  routeNotFound: 'ADMIN_ROUTE_NOT_FOUND',
  badRequest: 'ADMIN_BAD_REQUEST',
  providerFailed: 'ADMIN_PROVIDER_FAILED',
  internal: 'ADMIN_INTERNAL_ERROR',
  invalidPolicy: 'ADMIN_INVALID_POLICY',
  revisionNotFound: 'ADMIN_REVISION_NOT_FOUND',
  serviceNotFound: 'ADMIN_SERVICE_NOT_FOUND',
} as const;

export type AdminErrorCode = (typeof ADMIN_ERROR_CODES)[keyof typeof ADMIN_ERROR_CODES];

/** JSON body of every admin API error. */
export interface AdminErrorBody {
  code: AdminErrorCode;
  message: string;
}

/** An error the admin API reports with its own code and HTTP status. */
export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    readonly statusCode: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AdminError';
  }

  toBody(): AdminErrorBody {
    return { code: this.code, message: this.message };
  }
}

/** Paths the admin API serves, listed in the not-found message. */
/** Builds the 404 error, listing the routes (`METHOD PATH`) that the server does serve. */
export function routeNotFound(method: string, url: string, routes: readonly string[]): AdminError {
  return new AdminError(ADMIN_ERROR_CODES.routeNotFound, 404, `no admin route for ${method} ${url}; the admin API serves ${routes.join(', ')}`);
}

/** Wraps a failure of an injected provider (readiness, sync status, configuration summary). */
export function providerFailed(provider: string, cause: unknown): AdminError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new AdminError(
    ADMIN_ERROR_CODES.providerFailed,
    500,
    `the ${provider} provider failed: ${detail}. The server log has the stack trace`,
    { cause },
  );
}

/** Converts any error thrown while handling a request into the error the client receives. */
export function toAdminError(error: unknown): AdminError {
  if (error instanceof AdminError) return error;

  // fastify's own errors carry a 4xx status for requests it could not parse.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new AdminError(ADMIN_ERROR_CODES.badRequest, statusCode, `invalid request: ${message}`, { cause: error });
  }
  return new AdminError(
    ADMIN_ERROR_CODES.internal,
    500,
    `internal error: ${message}. The server log has the stack trace`,
    { cause: error },
  );
}
