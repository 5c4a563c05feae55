import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeResource, TYPE_URL } from '../../xds';
import { appendNonce, decodeDiscoveryResponse, encodeDiscoveryResponse } from '../../xds/wire';

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
