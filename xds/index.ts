export { TYPE_URL, ALL_TYPE_URLS, messageType, messageNameOf, envoyProtos, protoIncludeDirs, type TypeUrl } from './protos';
export { SnapshotCache, type SnapshotListener, type GroupDemandListener } from './cache';
export {
  encodeResource,
  buildSnapshot,
  buildTypeSnapshot,
  checkSnapshot,
  contentHash,
  versionOfResources,
  type EncodedResource,
  type Snapshot,
  type SnapshotProblem,
  type TypeSnapshot,
} from './snapshot';
export { referencesOf, type ResourceRef } from './references';
export { StreamAdmission, DEFAULT_ADMISSION, type AdmissionOptions } from './admission';
export { traceRejectedResources, type NackDetail, type RejectedResource } from './nack';
export { XdsServer, parseHostPort, type XdsServerOptions } from './server';
export type { XdsServerHooks, StreamInfo } from './hooks';
export type { NodeInfo } from './node';
export {
  encodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDeltaDiscoveryRequest,
  decodeDeltaDiscoveryResponse,
  XDS_SERVICES,
  DELTA_XDS_SERVICES,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from './wire';
export { validateMessage, type ValidationIssue } from './validate';
