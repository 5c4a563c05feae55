/** Location of an endpoint or a proxy, in Envoy's terms. Empty strings mean "not set". */
export interface Locality {
  region: string;
  zone: string;
  subZone: string;
}

/** One network address that serves a service. */
export interface Endpoint {
  address: string;
  port: number;
  /** Undefined when the source does not know where the endpoint runs. */
  locality?: Locality;
  /** The Kubernetes cluster or site the endpoint runs in. */
  cluster: string;
  /** The network the address is reachable on; empty when not set. */
  network: string;
  /** Load-balancing weight, 1 or more. */
  weight: number;
  labels: Readonly<Record<string, string>>;
}

/** A service and every endpoint that the registry has for it. */
export interface Service {
  /** Registry name, unique across the mesh, for example `checkout.shop`. */
  name: string;
  /** The port clients use to address the service (sidecar outbound listeners listen on it). */
  port: number;
  /** Application protocol of the service's port. */
  protocol: 'http' | 'grpc' | 'tcp';
  endpoints: readonly Endpoint[];
}

/** An immutable view of all services, replaced as a whole on every change. */
export interface RegistrySnapshot {
  /** Services by name, in a stable (sorted) order. */
  readonly services: ReadonlyMap<string, Service>;
  /** Increases with every change, for logs and tracing. */
  readonly revision: number;
}

/** A source of services and endpoints: a file, a Kubernetes cluster, an upstream Meridian. */
export interface DiscoverySource {
  readonly name: string;
  /** True once the source has delivered its first complete view. Nothing is served before. */
  readonly synced: boolean;
  /** Starts watching. Resolves after the first load, whether it succeeded or not. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Latest complete set of services from this source. */
  services(): readonly Service[];
  /** Registers a listener called after each accepted change. Returns a function that removes it. */
  onChange(listener: () => void): () => void;
}
