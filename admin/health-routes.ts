import type { FastifyInstance } from 'fastify';
import { providerFailed } from './errors';

/** Routes of the health prober mesh. */
export const HEALTH_ROUTES = ['/debug/health', '/debug/latency'] as const;

/** Source of the prober mesh views. The admin server returns its summary as JSON. */
export interface HealthProvider {
  /**
   * Connected probers, decided endpoint health with each prober's vote, partitions, held changes,
   * changes waiting for hold-down, and the latency matrix.
   */
  summary(): {
    probers: unknown[];
    endpoints: unknown[];
    partitions: unknown[];
    held: unknown[];
    damped: unknown[];
    latency: unknown[];
  };
}

/**
 * Registers:
 *   GET /debug/health    {probers, endpoints, partitions, held, damped}
 *   GET /debug/latency   {localities: [{from, to, rttMs, samples}]}, localities as region/zone
 */
export function registerHealthRoutes(server: FastifyInstance, provider: HealthProvider): void {
  const read = () => {
    try {
      return provider.summary();
    } catch (error) {
      throw providerFailed('health', error);
    }
  };
  server.get('/debug/health', async () => {
    const { probers, endpoints, partitions, held, damped } = read();
    return { probers, endpoints, partitions, held, damped };
  });
  server.get('/debug/latency', async () => ({ localities: read().latency }));
}
