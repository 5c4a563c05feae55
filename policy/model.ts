import type { Locality } from '../discovery';

/** Where a validated value came from in the operator's YAML. */
export interface SourcePosition {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** Failover order for clients in one region: the regions to try next, nearest first. */
export interface FailoverRule {
  from: string;
  to: readonly string[];
}

/** A validated `kind: TrafficPolicy` document. */
export interface TrafficPolicy {
  /** `metadata.name`, unique among TrafficPolicy documents. */
  name: string;
  source: SourcePosition;
  /** Registry name of the service this policy exposes. */
  service: string;
  /**
   * Names clients use to address the service: the `xds:///NAME` target of a proxyless gRPC client,
   * and the HTTP Host or :authority that a sidecar routes on. At least one.
   */
  hostnames: readonly string[];
  localityLb: {
    /** When false, every endpoint gets priority 0 and localities are not told apart. */
    enabled: boolean;
    failover: readonly FailoverRule[];
  };
}

/** Every validated policy document that is in force. */
export interface PolicySet {
  readonly policies: readonly TrafficPolicy[];
  /** Content hash of the documents, to tie pushes back to the configuration that caused them. */
  readonly revision: string;
}

/** What kind of xDS client a proxy is, which decides the shape of its listeners. */
export type ClientKind = 'envoy' | 'grpc';

/** The inputs of one computed variant: proxies with the same kind and locality share it. */
export interface ClientProfile {
  kind: ClientKind;
  /** Undefined when the proxy did not send a locality. */
  locality?: Locality;
}
