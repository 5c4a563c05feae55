import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeNameFields, encodeRequest, readDeltaResponse, readResponse } from '../../loadtest/proxy-wire';
import { encodeResource, TYPE_URL } from '../../xds';
import { decodeDiscoveryRequest, encodeDeltaDiscoveryResponse, encodeDiscoveryResponse } from '../../xds/wire';

const resources = [
  encodeResource(TYPE_URL.cluster, 'a', { name: 'a', connect_timeout: { seconds: 1 } }),
  encodeResource(TYPE_URL.cluster, 'b', { name: 'b' }),
];

test('response envelope read without decoding', () => {
  const envelope = readResponse(encodeDiscoveryResponse(TYPE_URL.cluster, 'v3', '7-1', resources));

  assert.equal(envelope.versionInfo, 'v3');
  assert.equal(envelope.typeUrl, TYPE_URL.cluster);
  assert.equal(envelope.nonce, '7-1');
  assert.equal(envelope.resourceCount, 2);
  assert.deepEqual(Buffer.from(envelope.resourceAt(0)), Buffer.from(resources[0]!.body));
  assert.deepEqual(Buffer.from(envelope.resourceAt(1)), Buffer.from(resources[1]!.body));
});

test('delta envelope with removals', () => {
  const envelope = readDeltaResponse(encodeDeltaDiscoveryResponse(TYPE_URL.cluster, 'v3', '7-2', resources, ['gone']));

  assert.equal(envelope.typeUrl, TYPE_URL.cluster);
  assert.equal(envelope.nonce, '7-2');
  assert.deepEqual(envelope.removed, ['gone']);
  assert.deepEqual(envelope.resources.map((resource) => [resource.name, resource.version]), resources.map((resource) => [resource.name, resource.version]));
  assert.deepEqual(Buffer.from(envelope.bodyOf(envelope.resources[0]!)), Buffer.from(resources[0]!.body));
});

test('request decodes on the server', () => {
  const request = decodeDiscoveryRequest(encodeRequest(TYPE_URL.clusterLoadAssignment, 'v9', '4-4', encodeNameFields(['x', 'y'])));

  assert.equal(request.type_url, TYPE_URL.clusterLoadAssignment);
  assert.equal(request.version_info, 'v9');
  assert.equal(request.response_nonce, '4-4');
  assert.deepEqual(request.resource_names, ['x', 'y']);
});
