export type { Locality, Endpoint, Service, RegistrySnapshot, DiscoverySource } from './types';
export { SERVICE_ENDPOINTS_KIND, SERVICE_PROTOCOLS, MAX_SERVICE_WEIGHT_SUM, serviceEndpointsKind } from './service-endpoints';
export { StaticSource, createDiscoveryKinds, type StaticSourceOptions } from './static-source';
export { Registry, type RegistryOptions, type ServiceConflict } from './registry';
