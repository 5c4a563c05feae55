import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ADMIN_ERROR_CODES, AdminError } from './errors';

/** URL path of the dashboard page. */
export const DASHBOARD_PATH = '/dashboard';

/**
 * Every file the dashboard serves: URL path, path inside the dashboard folder and content type.
 * Only these are served, so no request path can reach another file.
 */
export const DASHBOARD_FILES = [
  { url: DASHBOARD_PATH, file: 'index.html', contentType: 'text/html; charset=utf-8' },
  { url: `${DASHBOARD_PATH}/dashboard.js`, file: 'dashboard.js', contentType: 'text/javascript; charset=utf-8' },
  { url: `${DASHBOARD_PATH}/dashboard.css`, file: 'dashboard.css', contentType: 'text/css; charset=utf-8' },
  { url: `${DASHBOARD_PATH}/locales/en.json`, file: 'locales/en.json', contentType: 'application/json; charset=utf-8' },
  { url: `${DASHBOARD_PATH}/locales/zh-CN.json`, file: 'locales/zh-CN.json', contentType: 'application/json; charset=utf-8' },
] as const;

/**
 * Returns the folder of the dashboard files, `admin/dashboard` under the package root. The root is
 * the nearest folder above `start` that has a package.json, so the same code finds it from the
 * TypeScript sources and from the compiled files in dist/. Without such a folder it returns
 * `dashboard` beside `start`, and requests for the files fail with that path.
 */
export function dashboardFolder(start: string = __dirname): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return join(folder, 'admin', 'dashboard');
    if (dirname(folder) === folder) return join(start, 'dashboard');
  }
}

/**
 * Registers:
 *   GET /                 302 to the dashboard
 *   GET /dashboard/       302 to the dashboard
 *   GET /dashboard        the page, then its script, style sheet and locale files (DASHBOARD_FILES)
 * The files are read on each request, so an edited file is served without a restart. A file that
 * cannot be read is a 500 with its path.
 */
export function registerDashboardRoutes(server: FastifyInstance, folder: string = dashboardFolder()): void {
  // Relative redirects keep a path prefix under which a reverse proxy may serve the admin API.
  server.get('/', async (_request, reply) => reply.redirect('dashboard'));
  server.get(`${DASHBOARD_PATH}/`, async (_request, reply) => reply.redirect('../dashboard'));

  for (const { url, file, contentType } of DASHBOARD_FILES) {
    const path = join(folder, file);
    server.get(url, async (_request, reply) => {
      let body: Buffer;
      try {
        body = await readFile(path);
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new AdminError(ADMIN_ERROR_CODES.internal, 500, `failed to read the dashboard file ${path}: ${detail}. Restore admin/dashboard from the package`, { cause: error });
      }
      reply.type(contentType);
      return body;
    });
  }
}
