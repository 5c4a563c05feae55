export { TYPE_URL, ALL_TYPE_URLS, messageType, messageNameOf, envoyProtos, protoIncludeDirs, type TypeUrl } from './protos';
export { SnapshotCache, type SnapshotListener, type GroupDemandListener } from './cache';
export { encodeResource, buildSnapshot, buildTypeSnapshot, contentHash, type EncodedResource, type Snapshot, type TypeSnapshot } from './snapshot';
export { XdsServer, parseHostPort, type XdsServerOptions } from './server';
export type { XdsServerHooks, StreamInfo } from './hooks';
export type { NodeInfo } from './node';
export { encodeDiscoveryRequest, decodeDiscoveryResponse, XDS_SERVICES } from './wire';
export { validateMessage, type ValidationIssue } from './validate';
