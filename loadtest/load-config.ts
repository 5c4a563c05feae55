import type { Logger } from 'pino';
import { StaticSource, type RegistrySnapshot } from '../discovery';
import { createConfigKinds, PolicyStore, type TrafficPolicy } from '../policy';

/**
 * Reads a config folder with the same source and store that Meridian uses, without watching it.
 * Throws when the files are invalid.
 */
export async function loadConfigFolder(
  folder: string,
  logger: Logger,
): Promise<{ registry: RegistrySnapshot; policies: readonly TrafficPolicy[] }> {
  const source = new StaticSource({ paths: [folder], logger, kinds: createConfigKinds(), watch: false });
  await source.start();
  const store = new PolicyStore({ logger, kinds: createConfigKinds() });
  await store.load([folder]);
  if (!source.synced || !store.synced) throw new Error(`cannot load the generated config in ${folder}: the files are invalid`);
  const services = new Map(source.services().map((service) => [service.name, service]));
  return { registry: { services, revision: 1 }, policies: store.current().policies };
}
