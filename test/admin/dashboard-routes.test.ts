import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import {
  ADMIN_ERROR_CODES,
  buildAdminServer,
  closeAdminServer,
  dashboardFolder,
  DASHBOARD_FILES,
  listenAdminServer,
  readinessOf,
  SyncStatusTracker,
  type AdminServer,
} from '../../admin';

function buildServer(folder?: string): AdminServer {
  return buildAdminServer({
    registry: new Registry(),
    syncStatus: new SyncStatusTracker(),
    readiness: () => readinessOf([]),
    configSummary: () => ({}),
    dashboardFolder: folder,
  });
}

/**
 * Sends a GET with the path exactly as given. fetch and URL remove `..` segments before sending,
 * which would hide what the server does with them.
 */
function rawGet(port: number, path: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 5000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: String(response.headers['content-type']), body: Buffer.concat(chunks).toString() }),
      );
    });
    sent.on('timeout', () => sent.destroy(new Error(`GET ${path} timed out`)));
    sent.on('error', reject);
    sent.end();
  });
}

describe('dashboard routes', () => {
  let server: AdminServer;
  let port: number;
  let baseUrl: string;

  before(async () => {
    server = buildServer();
    port = (await listenAdminServer(server, '127.0.0.1:0')).port;
    baseUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await closeAdminServer(server);
  });

  test('serves the page', async () => {
    const response = await fetch(`${baseUrl}/dashboard`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const html = await response.text();
    assert.match(html, /<script src="dashboard\/dashboard\.js" defer><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="dashboard\/dashboard\.css">/);
  });

  for (const { url, file, contentType } of DASHBOARD_FILES) {
    test(`serves ${file} as ${contentType.split(';')[0]}`, async () => {
      const response = await fetch(`${baseUrl}${url}`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), contentType);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(await response.text(), await readFile(join(dashboardFolder(), file), 'utf8'));
    });
  }

  test('asset URLs of the page resolve to served files', async () => {
    const html = await (await fetch(`${baseUrl}/dashboard`)).text();
    const references = [...html.matchAll(/(?:src|href)="([^"#:]+)"/g)].map((match) => new URL(match[1]!, `${baseUrl}/dashboard`).pathname);
    assert.deepEqual(references.sort(), ['/dashboard/dashboard.css', '/dashboard/dashboard.js']);
  });

  for (const path of ['/', '/dashboard/']) {
    test(`${path} redirects to the page`, async () => {
      const response = await fetch(`${baseUrl}${path}`, { redirect: 'manual' });
      assert.equal(response.status, 302);
      const location = response.headers.get('location');
      assert.ok(location, 'the redirect has a location');
      assert.equal(new URL(location, `${baseUrl}${path}`).href, `${baseUrl}/dashboard`);
    });
  }

  test('unknown asset is a JSON 404', async () => {
    const response = await fetch(`${baseUrl}/dashboard/locales/fr.json`);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = (await response.json()) as { code: string; message: string };
    assert.equal(body.code, ADMIN_ERROR_CODES.routeNotFound);
    assert.match(body.message, /GET \/dashboard\/locales\/fr\.json/);
    assert.match(body.message, /GET \/dashboard\/locales\/en\.json/, 'the message lists the served files');
  });

  const escapes = [
    '/dashboard/../package.json',
    '/dashboard/%2e%2e/package.json',
    '/dashboard/..%2fpackage.json',
    '/dashboard/locales/../../package.json',
    '/dashboard/locales/..%2f..%2fpackage.json',
    '/dashboard/%2e%2e%2f%2e%2e%2fpackage.json',
    '/dashboard/dashboard.js/../../package.json',
    '/dashboard/index.html',
  ];
  for (const path of escapes) {
    test(`${path} is a 404`, async () => {
      const response = await rawGet(port, path);
      assert.equal(response.status, 404);
      assert.equal(response.contentType, 'application/json; charset=utf-8');
      assert.equal((JSON.parse(response.body) as { code: string }).code, ADMIN_ERROR_CODES.routeNotFound);
      assert.doesNotMatch(response.body, /"devDependencies"/, 'the body is not package.json');
    });
  }
});

describe('dashboard folder', () => {
  test('is found from sources and dist', () => {
    // This test runs from dist/test/admin, three folders below the package root.
    const root = join(__dirname, '..', '..', '..');
    assert.equal(dashboardFolder(), join(root, 'admin', 'dashboard'));
    assert.equal(dashboardFolder(join(root, 'dist', 'admin')), join(root, 'admin', 'dashboard'));
    assert.equal(dashboardFolder(join(root, 'admin')), join(root, 'admin', 'dashboard'));
  });

  test('falls back beside start without a package.json', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'meridian-dashboard-'));
    try {
      assert.equal(dashboardFolder(folder), join(folder, 'dashboard'));
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('missing file is a JSON 500 with its path', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'meridian-dashboard-'));
    const server = buildServer(folder);
    try {
      const { port } = await listenAdminServer(server, '127.0.0.1:0');
      const response = await fetch(`http://127.0.0.1:${port}/dashboard/dashboard.css`);
      assert.equal(response.status, 500);
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, ADMIN_ERROR_CODES.internal);
      assert.ok(body.message.includes(join(folder, 'dashboard.css')), body.message);
    } finally {
      await closeAdminServer(server);
      await rm(folder, { recursive: true, force: true });
    }
  });
});
