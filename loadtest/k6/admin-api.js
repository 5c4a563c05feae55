// Load test of Meridian's admin HTTP API with k6 (https://k6.io).
//
//   k6 run -e ADMIN_URL=http://127.0.0.1:18080 loadtest/k6/admin-api.js
//
// ADMIN_URL is the admin server of a running `meridian serve`. VUS and DURATION set the number of
// virtual users and how long they run (default 10 users for 30s).
import http from 'k6/http';
import { check, sleep } from 'k6';

const ADMIN_URL = __ENV.ADMIN_URL || 'http://127.0.0.1:18080';

export const options = {
  vus: Number(__ENV.VUS || 10),
  duration: __ENV.DURATION || '30s',
  thresholds: {
    // The admin API serves every view from memory, so even the largest ones stay fast.
    http_req_failed: ['rate<0.01'],
    'http_req_duration{view:health}': ['p(99)<50'],
    'http_req_duration{view:debug}': ['p(99)<500'],
  },
};

const VIEWS = [
  { path: '/healthz', tag: 'health', statuses: [200] },
  // /readyz returns 503 until discovery has synced, so both statuses are valid.
  { path: '/readyz', tag: 'health', statuses: [200, 503] },
  { path: '/metrics', tag: 'debug', statuses: [200] },
  { path: '/debug/sync', tag: 'debug', statuses: [200] },
  { path: '/debug/config', tag: 'debug', statuses: [200] },
];

export default function () {
  for (const view of VIEWS) {
    const response = http.get(`${ADMIN_URL}${view.path}`, {
      tags: { view: view.tag },
      responseCallback: http.expectedStatuses(...view.statuses),
    });
    check(response, { [`${view.path} status is expected`]: (r) => view.statuses.includes(r.status) });
  }
  sleep(0.1);
}
