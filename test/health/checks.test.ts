import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCheck, type CheckSpec } from '../../health';

const TIMEOUT_MS = 300;

/** A request seen by a test server. */
interface SeenRequest {
  path: string;
  host: string;
}

/**
 * Handles `/ok` with 200, `/unavailable` with 503 and `/hang` never, recording each request.
 */
function handler(seen: SeenRequest[]): http.RequestListener {
  return (request, response) => {
    seen.push({ path: request.url ?? '', host: request.headers.host ?? '' });
    if (request.url === '/hang') return;
    response.statusCode = request.url === '/ok' ? 200 : 503;
    response.end();
  };
}

/** Generates a self-signed certificate for 127.0.0.1 with openssl; undefined when openssl is missing. */
function selfSignedCertificate(): { key: Buffer; cert: Buffer } | undefined {
  const folder = mkdtempSync(join(tmpdir(), 'meridian-tls-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(folder, 'key.pem'), '-out', join(folder, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'],
      { stdio: 'pipe' },
    );
    return { key: readFileSync(join(folder, 'key.pem')), cert: readFileSync(join(folder, 'cert.pem')) };
  } catch {
    return undefined;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const certificate = selfSignedCertificate();
const httpsSkip = certificate === undefined ? 'openssl is not installed, so no certificate can be made for the HTTPS server (Node has no API to create one)' : undefined;

const httpSeen: SeenRequest[] = [];
const httpsSeen: SeenRequest[] = [];
let httpServer: http.Server;
let httpsServer: https.Server | undefined;
let httpPort: number;
let httpsPort: number;

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

before(async () => {
  httpServer = http.createServer(handler(httpSeen));
  httpPort = await listen(httpServer);
  if (certificate !== undefined) {
    httpsServer = https.createServer(certificate, handler(httpsSeen));
    httpsPort = await listen(httpsServer);
  }
});

after(() => {
  httpServer?.closeAllConnections();
  httpServer?.close();
  httpsServer?.closeAllConnections();
  httpsServer?.close();
});

function httpCheck(tls: boolean, path: string, host?: string): CheckSpec {
  return { kind: 'http', tls, path, host, expectedStatuses: [{ start: 200, end: 201 }] };
}

const CASES = [
  { name: 'http', tls: false, port: () => httpPort, seen: httpSeen, skip: undefined },
  { name: 'https', tls: true, port: () => httpsPort, seen: httpsSeen, skip: httpsSkip },
];

for (const { name, tls, port, seen, skip } of CASES) {
  test(`${name} check passes on expected status`, { skip }, async () => {
    const result = await runCheck(httpCheck(tls, '/ok', 'echo.test'), '127.0.0.1', port(), TIMEOUT_MS);
    assert.equal(result.ok, true);
    assert.equal(result.reason, undefined);
    assert.deepEqual(seen.at(-1), { path: '/ok', host: 'echo.test' });
  });

  test(`${name} check fails on wrong status`, { skip }, async () => {
    const result = await runCheck(httpCheck(tls, '/unavailable'), '127.0.0.1', port(), TIMEOUT_MS);
    assert.equal(result.ok, false);
    assert.equal(result.reason, 'unexpected HTTP status 503');
    assert.deepEqual(seen.at(-1), { path: '/unavailable', host: `127.0.0.1:${port()}` });
  });

  test(`${name} check accepts listed status`, { skip }, async () => {
    const spec: CheckSpec = { kind: 'http', tls, path: '/unavailable', expectedStatuses: [{ start: 200, end: 201 }, { start: 503, end: 504 }] };
    const result = await runCheck(spec, '127.0.0.1', port(), TIMEOUT_MS);
    assert.equal(result.ok, true);
  });

  test(`${name} check times out`, { skip }, async () => {
    const result = await runCheck(httpCheck(tls, '/hang'), '127.0.0.1', port(), TIMEOUT_MS);
    assert.equal(result.ok, false);
    assert.equal(result.reason, `HTTP check timed out after ${TIMEOUT_MS} ms`);
  });
}

test('https check fails against plain http', { skip: httpsSkip }, async () => {
  const result = await runCheck(httpCheck(true, '/ok'), '127.0.0.1', httpPort, TIMEOUT_MS);
  assert.equal(result.ok, false);
  assert.notEqual(result.reason, undefined);
});

test('http check fails on closed port', async () => {
  const closed = http.createServer();
  const port = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  const result = await runCheck(httpCheck(false, '/ok'), '127.0.0.1', port, TIMEOUT_MS);
  assert.equal(result.ok, false);
  assert.match(result.reason!, /ECONNREFUSED/);
});

test('tcp check with payload measures the exchange', async () => {
  // A server that answers "rtt" with two chunks, 30 ms apart, after some noise.
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.write('xx-r');
      setTimeout(() => socket.end('tt'), 30);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const spec: CheckSpec = { kind: 'tcp', payload: { send: Buffer.from('rtt'), receive: [Buffer.from('r'), Buffer.from('tt')] } };
    const passed = await runCheck(spec, '127.0.0.1', port, 1000);
    assert.equal(passed.ok, true, passed.reason);
    assert.ok(passed.exchangeMs !== undefined && passed.exchangeMs >= 25, `exchange took ${passed.exchangeMs} ms`);

    const wrong: CheckSpec = { kind: 'tcp', payload: { send: Buffer.from('rtt'), receive: [Buffer.from('tt'), Buffer.from('r')] } };
    const failed = await runCheck(wrong, '127.0.0.1', port, 1000);
    assert.equal(failed.ok, false);
    assert.equal(failed.reason, 'connection closed before the expected response arrived');
  } finally {
    server.close();
  }
});
