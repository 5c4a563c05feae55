import type { Service } from '../../discovery';
import type { ClientKind } from '../model';
import { ANY_TYPE_URL, FILTER_NAME, adsConfigSource, typedConfig, type ProtoObject } from './common';

/** Time a client waits for a TCP connection to an endpoint, the same as Envoy's default. */
export const CONNECT_TIMEOUT_SECONDS = 5;

/**
 * Returns the name of the cluster, and of its ClusterLoadAssignment, for a service. It is the
 * registry name itself (for example `checkout.shop`), which is unique across the mesh.
 */
export function clusterNameOf(service: Pick<Service, 'name'>): string {
  return service.name;
}

/**
 * Builds the Cluster of a service: EDS over ADS, round robin within each locality, and Envoy's
 * locality-weighted load balancing across localities, so the weights of the ClusterLoadAssignment
 * apply. gRPC clients use locality weights whatever `common_lb_config` says (they map
 * ROUND_ROBIN to `xds_wrr_locality`), and accept every field set here.
 */
export function buildCluster(service: Service, kind: ClientKind): ProtoObject {
  const name = clusterNameOf(service);
  const cluster: ProtoObject = {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsConfigSource(), service_name: name },
    connect_timeout: { seconds: CONNECT_TIMEOUT_SECONDS },
    lb_policy: 'ROUND_ROBIN',
    common_lb_config: { locality_weighted_lb_config: {} },
  };

  // Envoy speaks HTTP/1.1 to upstreams unless told otherwise, and gRPC needs HTTP/2.
  // Proxyless gRPC clients always use HTTP/2, so they are not sent the option.
  if (kind === 'envoy' && service.protocol === 'grpc') {
    cluster.typed_extension_protocol_options = {
      [FILTER_NAME.httpProtocolOptions]: typedConfig(ANY_TYPE_URL.httpProtocolOptions, {
        explicit_http_config: { http2_protocol_options: {} },
      }),
    };
  }

  return cluster;
}
