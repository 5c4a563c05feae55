export type { Locality, Endpoint, Service, RegistrySnapshot, DiscoverySource } from './types';
