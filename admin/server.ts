import type { AddressInfo } from 'node:net';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { parseListenAddress, type ListenAddress } from './address';
import { providerFailed, routeNotFound, toAdminError } from './errors';
import type { Logger } from './logging';
import type { NackProvider } from './nack-log';
import { registerDashboardRoutes } from './dashboard-routes';
import { registerEndpointRoutes, type EndpointsProvider } from './endpoint-routes';
import { registerHealthRoutes, type HealthProvider } from './health-routes';
import { registerPolicyRoutes, type PolicyWorkflow } from './policy-routes';
import type { Readiness } from './readiness';
import type { SyncStatusProvider } from './sync-status';

export interface AdminServerOptions {
  /** Decides `GET /readyz`: 200 when `ready` is true, 503 otherwise, with this value as the body. */
  readiness: () => Readiness;
  /** Source of `GET /debug/sync`. */
  syncStatus: SyncStatusProvider;
  /**
   * Source of `GET /debug/config`: a summary of the configuration in force (services, endpoint
   * count, policy revision). The admin server returns it as JSON without looking inside.
   */
  configSummary: () => unknown;
  /** Registry that `GET /metrics` exposes. Never prom-client's global registry. */
  registry: Registry;
  /** Shared process logger. The server logs through a child with `component: "admin"`. Default: no logs. */
  logger?: Logger;
  /** Serves the policy workflow under /api/v1 (diff, apply, revisions, rollback, explain) when set. */
  policyWorkflow?: PolicyWorkflow;
  /** Serves GET /debug/health and /debug/latency from the prober mesh when set. */
  health?: HealthProvider;
  /** Serves GET /debug/nacks: recorded NACKs with the policy YAML of each rejected resource. */
  nacks?: NackProvider;
  /** Serves GET /debug/endpoints: every service's endpoints with locality and decided health. */
  endpoints?: EndpointsProvider;
  /** Folder of the dashboard files. Default: `admin/dashboard` under the package root. */
  dashboardFolder?: string;
}

export type AdminServer = FastifyInstance;

interface SyncQuery {
  /** Only the streams of this node id. */
  node?: string;
}

/**
 * Builds the admin HTTP server (not yet listening). Routes:
 *   GET /healthz        200 {"status":"ok"} while the process runs
 *   GET /readyz         200 or 503 with the Readiness body
 *   GET /metrics        Prometheus text of the injected registry
 *   GET /debug/sync     {"proxies": ProxySyncStatus[]}, optionally `?node=ID`
 *   GET /debug/config   the injected configuration summary
 *   GET /debug/nacks    {"nacks": NackEntry[]}, newest first, optionally `?node=ID`, when `nacks` is set
 *   GET /debug/endpoints  see registerEndpointRoutes, when `endpoints` is set
 *   GET /dashboard      the web dashboard, and `/` redirects to it (see registerDashboardRoutes)
 * Every error is JSON `{ code, message }` with a code from ADMIN_ERROR_CODES.
 */
export function buildAdminServer(options: AdminServerOptions): AdminServer {
  const server = createFastify(options.logger);
  // Routes as they are registered, so the 404 message lists exactly what this server serves.
  const routes: string[] = [];
  server.addHook('onRoute', (route) => {
    const methods = [route.method].flat().filter((method) => method !== 'HEAD');
    for (const method of methods) routes.push(`${method} ${route.url}`);
  });

  server.addHook('onSend', async (_request, reply) => {
    // Every admin response describes the present moment, so caches must not keep it.
    reply.header('cache-control', 'no-store');
  });

  server.get('/healthz', async () => ({ status: 'ok' }));

  server.get('/readyz', async (_request, reply) => {
    const readiness = callProvider('readiness', options.readiness);
    reply.code(readiness.ready ? 200 : 503);
    return readiness;
  });

  server.get('/metrics', async (_request, reply) => {
    const text = await callProviderAsync('metrics registry', () => options.registry.metrics());
    reply.type(options.registry.contentType);
    return text;
  });

  server.get<{ Querystring: SyncQuery }>('/debug/sync', async (request) => {
    const proxies = callProvider('sync status', () => options.syncStatus.syncStatus());
    const node = request.query.node;
    return { proxies: node === undefined ? proxies : proxies.filter((proxy) => proxy.nodeId === node) };
  });

  server.get('/debug/config', async () => callProviderAsync('configuration summary', async () => options.configSummary()));

  const nackProvider = options.nacks;
  if (nackProvider) {
    server.get<{ Querystring: SyncQuery }>('/debug/nacks', async (request) => {
      const nacks = callProvider('NACK log', () => nackProvider.nacks());
      const node = request.query.node;
      return { nacks: node === undefined ? nacks : nacks.filter((nack) => nack.nodeId === node) };
    });
  }

  if (options.policyWorkflow !== undefined) registerPolicyRoutes(server, options.policyWorkflow);
  if (options.health !== undefined) registerHealthRoutes(server, options.health);
  if (options.endpoints !== undefined) registerEndpointRoutes(server, options.endpoints);
  registerDashboardRoutes(server, options.dashboardFolder);

  server.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const error = routeNotFound(request.method, request.url, routes);
    reply.code(error.statusCode);
    return error.toBody();
  });

  server.setErrorHandler(async (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const adminError = toAdminError(error);
    const fields = { err: error, code: adminError.code, method: request.method, url: request.url };
    if (adminError.statusCode >= 500) {
      request.log.error(fields, 'admin request failed');
    } else {
      request.log.debug(fields, 'admin request rejected');
    }
    reply.code(adminError.statusCode);
    return adminError.toBody();
  });

  return server;
}

function createFastify(logger: Logger | undefined): AdminServer {
  if (!logger) return fastify({ logger: false });

  // Request logging stays off: Prometheus scrapes /metrics every few seconds, and a line per
  // scrape would drown the rest. Errors are still logged by the error handler.
  return fastify({
    // A pino logger is a FastifyBaseLogger. Typing it as the base keeps AdminServer one type with
    // or without a logger.
    loggerInstance: logger.child({ component: 'admin' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
}

function callProvider<T>(provider: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw providerFailed(provider, error);
  }
}

async function callProviderAsync<T>(provider: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerFailed(provider, error);
  }
}

/**
 * Starts listening on `address` (`HOST:PORT` or a parsed address) and returns the bound address,
 * whose port is the one the operating system chose when port 0 was requested.
 */
export async function listenAdminServer(server: AdminServer, address: string | ListenAddress): Promise<ListenAddress> {
  const { host, port } = typeof address === 'string' ? parseListenAddress(address) : address;
  // fastify logs one line per bound address itself and takes only the text, not fields.
  await server.listen({ host, port, listenTextResolver: (url) => `admin server listening at ${url}` });

  const bound = server.server.address() as AddressInfo;
  return { host: bound.address, port: bound.port };
}

/** Stops accepting connections and waits for open requests to finish. */
export async function closeAdminServer(server: AdminServer): Promise<void> {
  await server.close();
  server.log.info('admin server closed');
}
