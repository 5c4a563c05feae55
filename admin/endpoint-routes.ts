import type { FastifyInstance } from 'fastify';
import { didYouMean, listKnown } from '../config';
import { ADMIN_ERROR_CODES, AdminError, providerFailed } from './errors';

/** Routes of the service registry. */
export const ENDPOINT_ROUTES = ['/debug/endpoints'] as const;

/**
 * Health of one endpoint as the prober mesh decided it. `unchecked` means no TrafficPolicy of the
 * service sets `healthCheck`, so proxies treat the endpoint as healthy.
 */
export type EndpointHealth = 'healthy' | 'unhealthy' | 'unchecked';

/** One endpoint of a service in the registry, with the health that the prober mesh decided. */
export interface EndpointEntry {
  address: string;
  port: number;
  /** Absent when the discovery source does not know where the endpoint runs. */
  locality?: { region: string; zone: string; subZone: string };
  /** The Kubernetes cluster or site the endpoint runs in. */
  cluster: string;
  network: string;
  weight: number;
  labels: Readonly<Record<string, string>>;
  health: EndpointHealth;
  /** ISO time of the last health change, when there was one. */
  healthChangedAt?: string;
}

/** One service of the registry with every endpoint it has. */
export interface ServiceEntry {
  name: string;
  port: number;
  protocol: string;
  endpoints: EndpointEntry[];
}

/** Source of `GET /debug/endpoints`: the registry in force, joined with the decided health. */
export interface EndpointsProvider {
  /** Returns every service in name order, with the registry revision. */
  endpoints(): { registryRevision: number; services: ServiceEntry[] };
}

interface EndpointsQuery {
  /** Only this service. */
  service?: string;
}

/**
 * Registers:
 *   GET /debug/endpoints   {registryRevision, services: ServiceEntry[]}, optionally `?service=NAME`
 * A service name that the registry lacks is a 404 with the closest name and the known names.
 */
export function registerEndpointRoutes(server: FastifyInstance, provider: EndpointsProvider): void {
  server.get<{ Querystring: EndpointsQuery }>(
    '/debug/endpoints',
    { schema: { querystring: { type: 'object', properties: { service: { type: 'string' } } } } },
    async (request) => {
      let view: ReturnType<EndpointsProvider['endpoints']>;
      try {
        view = provider.endpoints();
      } catch (error) {
        throw providerFailed('service registry', error);
      }
      const name = request.query.service;
      if (name === undefined) return view;
      if (name === '') {
        throw new AdminError(ADMIN_ERROR_CODES.badRequest, 400, 'empty service name; pass ?service=NAME with a registry name, for example ?service=checkout.shop, or leave it out for every service');
      }
      const service = view.services.find((candidate) => candidate.name === name);
      if (service === undefined) throw serviceNotInRegistry(name, view.services.map((candidate) => candidate.name));
      return { registryRevision: view.registryRevision, services: [service] };
    },
  );
}

/**
 * Builds the 404 of a name the registry lacks. A hostname such as `checkout` is pointed to the
 * service it starts, such as `checkout.shop`; otherwise the closest name is suggested.
 */
function serviceNotInRegistry(name: string, names: readonly string[]): AdminError {
  const started = names.filter((candidate) => candidate.startsWith(`${name}.`));
  const hint =
    started.length > 0
      ? `; services are named in full, such as ${started.map((candidate) => `"${candidate}"`).join(' or ')}`
      : didYouMean(name, names);
  return new AdminError(ADMIN_ERROR_CODES.serviceNotFound, 404, `service "${name}" is not in the registry (known services: ${listKnown(names)})${hint}`);
}
