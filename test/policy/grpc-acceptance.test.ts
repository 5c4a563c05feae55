import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpcXds from '@grpc/grpc-js-xds';
import { buildResources, type ClientProfile } from '../../policy';
import { messageNameOf, messageType, TYPE_URL, type TypeUrl } from '../../xds';
import { exampleMesh, locality } from './fixtures';

// The resource validators of @grpc/grpc-js-xds, which decide whether a gRPC client ACKs or NACKs
// a resource. They are internal modules, so they are loaded by path.
interface ResourceTypeValidator {
  decode(context: unknown, resource: { type_url: string; value: Buffer }): { name: string; error?: string };
}
type ResourceTypeModule = { [className: string]: { get(): ResourceTypeValidator } };

const VALIDATORS: Record<TypeUrl, ResourceTypeValidator> = {
  [TYPE_URL.cluster]: loadValidator('cluster-resource-type', 'ClusterResourceType'),
  [TYPE_URL.clusterLoadAssignment]: loadValidator('endpoint-resource-type', 'EndpointResourceType'),
  [TYPE_URL.listener]: loadValidator('listener-resource-type', 'ListenerResourceType'),
  [TYPE_URL.routeConfiguration]: loadValidator('route-config-resource-type', 'RouteConfigurationResourceType'),
};

function loadValidator(file: string, className: string): ResourceTypeValidator {
  const module = require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${file}`) as ResourceTypeModule;
  return module[className].get();
}

// A client calls register() before it uses xds: targets. It also registers the HTTP filters,
// without which the listener validator rejects the router filter.
grpcXds.register();

// Only TLS settings and LRS read the context, and the generated resources use neither.
const DECODE_CONTEXT = { server: {}, bootstrap: { certificateProviders: {} } };

const PROFILES: ClientProfile[] = [
  { kind: 'grpc', locality: locality('central', 'c1', 'rack-1') },
  { kind: 'grpc', locality: locality('edge-paris', 'p1') },
  { kind: 'grpc' },
];

describe('gRPC xDS client acceptance', () => {
  for (const profile of PROFILES) {
    const where = profile.locality ? `${profile.locality.region}/${profile.locality.zone}` : 'no locality';
    test(`every resource accepted: ${where}`, () => {
      const { registry, policies } = exampleMesh();
      const resources = buildResources(registry, policies, profile);

      for (const [typeUrl, list] of Object.entries(resources.byTypeUrl) as [TypeUrl, typeof resources.byTypeUrl[TypeUrl]][]) {
        const type = messageType(messageNameOf(typeUrl));
        for (const { name, message } of list) {
          const value = Buffer.from(type.encode(type.fromObject(message)).finish());
          const result = VALIDATORS[typeUrl].decode(DECODE_CONTEXT, { type_url: typeUrl, value });
          assert.equal(result.error, undefined, `${typeUrl} ${name}`);
          assert.equal(result.name, name);
        }
      }
    });
  }
});
