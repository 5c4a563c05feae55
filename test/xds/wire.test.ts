import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeResource, TYPE_URL } from '../../xds';
import {
  appendNonce,
  decodeDeltaDiscoveryResponse,
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDeltaDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
} from '../../xds/wire';

test('shared response with appended nonce decodes whole', () => {
  const resources = [
    encodeResource(TYPE_URL.cluster, 'a', { name: 'a', connect_timeout: { seconds: 1 } }),
    encodeResource(TYPE_URL.cluster, 'b', { name: 'b' }),
  ];
  const shared = encodeDiscoveryResponse(TYPE_URL.cluster, 'v7', '', resources);
  const perStream = appendNonce(shared, '12-34');
  const direct = encodeDiscoveryResponse(TYPE_URL.cluster, 'v7', '12-34', resources);

  assert.equal(decodeDiscoveryResponse(shared).nonce, '', 'the shared part carries no nonce');
  assert.deepEqual(decodeDiscoveryResponse(perStream), decodeDiscoveryResponse(direct));
  assert.equal(perStream.length, direct.length);
});

test('shared delta response with appended nonce', () => {
  const resources = [encodeResource(TYPE_URL.cluster, 'a', { name: 'a' })];
  const shared = encodeDeltaDiscoveryResponse(TYPE_URL.cluster, 'v2', '', resources, ['gone']);
  const direct = encodeDeltaDiscoveryResponse(TYPE_URL.cluster, 'v2', '5-1', resources, ['gone']);

  assert.equal(decodeDeltaDiscoveryResponse(shared).nonce, '');
  assert.deepEqual(decodeDeltaDiscoveryResponse(appendNonce(shared, '5-1')), decodeDeltaDiscoveryResponse(direct));
});

test('request decodes every field', () => {
  const bytes = encodeDiscoveryRequest({
    version_info: 'v1',
    node: { id: 'sidecar-1', cluster: 'shop', locality: { region: 'eu-west', zone: 'a' } },
    resource_names: ['checkout', 'catalog'],
    type_url: TYPE_URL.clusterLoadAssignment,
    response_nonce: '3-9',
    error_detail: { code: 3, message: 'rejected' },
  });
  const request = decodeDiscoveryRequest(bytes);

  assert.equal(request.version_info, 'v1');
  assert.equal(request.node?.id, 'sidecar-1');
  assert.equal(request.node?.locality?.zone, 'a');
  assert.deepEqual(request.resource_names, ['checkout', 'catalog']);
  assert.equal(request.type_url, TYPE_URL.clusterLoadAssignment);
  assert.equal(request.response_nonce, '3-9');
  assert.deepEqual(request.error_detail, { code: 3, message: 'rejected' });
});

test('request without optional fields', () => {
  const request = decodeDiscoveryRequest(encodeDiscoveryRequest({ type_url: TYPE_URL.cluster }));

  assert.equal(request.version_info, '');
  assert.equal(request.response_nonce, '');
  assert.equal(request.node, undefined);
  assert.equal(request.error_detail, undefined);
  assert.deepEqual(request.resource_names, []);
  assert.equal(request.resourceNamesBytes?.length, 0);
});

test('encoded names tell subscriptions apart', () => {
  const namesBytes = (names: string[], nonce: string) =>
    decodeDiscoveryRequest(encodeDiscoveryRequest({ type_url: TYPE_URL.cluster, resource_names: names, response_nonce: nonce })).resourceNamesBytes!;

  assert.ok(namesBytes(['a', 'b'], '1').equals(namesBytes(['a', 'b'], '2')), 'same names, other nonce');
  assert.ok(!namesBytes(['a', 'b'], '1').equals(namesBytes(['a', 'c'], '1')), 'other name');
  assert.ok(!namesBytes(['a', 'b'], '1').equals(namesBytes(['a'], '1')), 'fewer names');
});

test('malformed request throws', () => {
  assert.throws(() => decodeDiscoveryRequest(Buffer.from([0x0a, 0x05, 0x61])), RangeError);
});
