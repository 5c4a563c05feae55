import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListenAddress } from '../../admin';

describe('parseListenAddress', () => {
  const valid: [string, string, number][] = [
    ['127.0.0.1:18080', '127.0.0.1', 18080],
    ['localhost:0', 'localhost', 0],
    ['[::1]:9901', '::1', 9901],
    ['0.0.0.0:65535', '0.0.0.0', 65535],
  ];
  for (const [text, host, port] of valid) {
    test(`parses ${text}`, () => {
      assert.deepEqual(parseListenAddress(text), { host, port });
    });
  }

  const invalid: [string, RegExp][] = [
    ['127.0.0.1', /missing port/],
    [':18080', /missing host/],
    ['127.0.0.1:http', /port "http" is not a number/],
    ['127.0.0.1:70000', /port 70000 is above 65535/],
    ['127.0.0.1:', /port "" is not a number/],
    ['::1:9901', /IPv6 host must be in brackets/],
  ];
  for (const [text, message] of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseListenAddress(text), message);
      assert.throws(() => parseListenAddress(text), /Use HOST:PORT, such as 127\.0\.0\.1:18080/);
    });
  }
});
