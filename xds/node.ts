import type { Locality } from '../discovery';

/** What the xDS server keeps of an Envoy `Node` message. */
export interface NodeInfo {
  id: string;
  /** Envoy's `--service-cluster`, not a Kubernetes cluster. */
  cluster: string;
  locality?: Locality;
  /** `envoy` for Envoy, a gRPC library name for proxyless clients. */
  userAgentName: string;
  /** `node.metadata` as plain JSON. */
  metadata: Readonly<Record<string, unknown>>;
}
