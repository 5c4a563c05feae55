import type { Endpoint, Locality, RegistrySnapshot, Service } from '../../discovery';
import type { TrafficPolicy } from '../../policy';

/** Returns a Locality; an empty region gives one that is not known. */
export function locality(region: string, zone = '', subZone = ''): Locality {
  return { region, zone, subZone };
}

/** Returns an endpoint on port 8080 with weight 1 unless `overrides` sets them. */
export function endpoint(address: string, where: Locality | undefined, overrides: Partial<Endpoint> = {}): Endpoint {
  return { address, port: 8080, locality: where, cluster: 'site-a', network: '', weight: 1, labels: {}, ...overrides };
}

/** Returns a TrafficPolicy named after its service, with locality load balancing on. */
export function policy(service: string, hostnames: readonly string[], failover: TrafficPolicy['localityLb']['failover'] = []): TrafficPolicy {
  return {
    name: service.split('.')[0],
    source: { file: 'policies.yaml', line: 1, column: 1 },
    service,
    hostnames,
    localityLb: { enabled: true, failover, distribute: [], failoverPriority: [] },
    loadBalancer: { algorithm: 'roundRobin', hashOn: [] },
    subsets: [],
    routes: [],
    overrides: [],
  };
}

export function registryOf(services: readonly Service[]): RegistrySnapshot {
  const sorted = [...services].sort((a, b) => (a.name < b.name ? -1 : 1));
  return { services: new Map(sorted.map((service) => [service.name, service])), revision: 1 };
}

/**
 * Returns a mesh of three sites: the centre (region `central`, zones `c1` and `c2`, sub-zones in `c1`), a
 * regional cloud (`east`, zone `e1`) and an edge site (`edge-paris`, zone `p1`), with an HTTP, a
 * gRPC and a TCP service.
 */
export function exampleMesh(): { registry: RegistrySnapshot; policies: TrafficPolicy[] } {
  const checkout: Service = {
    name: 'checkout.shop',
    port: 8080,
    protocol: 'http',
    endpoints: [
      endpoint('10.0.1.1', locality('central', 'c1', 'rack-1')),
      endpoint('10.0.1.2', locality('central', 'c1', 'rack-2'), { weight: 2 }),
      endpoint('10.0.2.1', locality('central', 'c2')),
      endpoint('10.1.1.1', locality('east', 'e1')),
      endpoint('10.2.1.1', locality('edge-paris', 'p1')),
      endpoint('10.9.9.9', undefined),
    ],
  };
  const payments: Service = {
    name: 'payments.shop',
    port: 9090,
    protocol: 'grpc',
    endpoints: [
      endpoint('10.0.1.5', locality('central', 'c1', 'rack-1'), { port: 9090 }),
      endpoint('10.1.1.5', locality('east', 'e1'), { port: 9090 }),
      endpoint('10.2.1.5', locality('edge-paris', 'p1'), { port: 9090 }),
    ],
  };
  const ledger: Service = {
    name: 'ledger.shop',
    port: 5432,
    protocol: 'tcp',
    endpoints: [endpoint('10.0.2.7', locality('central', 'c2'), { port: 5432 })],
  };
  const failover = [
    { from: 'edge-paris', to: ['east', 'central'] },
    { from: 'east', to: ['central', 'edge-paris'] },
  ];
  return {
    registry: registryOf([checkout, payments, ledger]),
    policies: [
      policy('checkout.shop', ['checkout.shop', 'checkout'], failover),
      policy('payments.shop', ['payments.shop'], failover),
      policy('ledger.shop', ['ledger.shop'], failover),
    ],
  };
}
