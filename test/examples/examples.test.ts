import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateFiles } from '../../policy';

// Compiled tests run from dist/test/examples, three levels below the repository root.
const EXAMPLES_DIR = path.resolve(__dirname, '..', '..', '..', 'examples');
const SERVICES_FILE = path.join(EXAMPLES_DIR, 'services.yaml');
const POLICIES_FILE = path.join(EXAMPLES_DIR, 'policies.yaml');

/** The places the example spans: each region's zones and the Kubernetes cluster or site it runs. */
const PLACES: Record<string, { zones: string[]; cluster: string }> = {
  central: { zones: ['central-a', 'central-b'], cluster: 'central-k8s' },
  'eu-west': { zones: ['eu-west-1a', 'eu-west-1b'], cluster: 'eu-west-k8s' },
  'edge-tokyo': { zones: ['edge-tokyo-1'], cluster: 'edge-tokyo-site' },
};

/** Ports of the demo's own servers (xDS, admin, Envoy admin), which no endpoint may take. */
const RESERVED_PORTS = [18000, 18080, 9901];

interface Document {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, any>;
}

function readDocuments(file: string): Document[] {
  const documents = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const document of documents) {
    assert.deepEqual(document.errors, [], `${file} does not parse`);
  }
  return documents.map((document) => document.toJS() as Document);
}

describe('bundled example', () => {
  const services = readDocuments(SERVICES_FILE);
  const policies = readDocuments(POLICIES_FILE);
  const endpoints: Record<string, any>[] = services.flatMap((service) =>
    (service.spec.endpoints as Record<string, any>[]).map((endpoint) => ({ ...endpoint, service: service.metadata.name })),
  );

  test('passes the config validator', async () => {
    const { diagnostics } = await validateFiles([EXAMPLES_DIR]);
    assert.deepEqual(diagnostics, []);
  });

  test('files start with a comment', () => {
    for (const file of [SERVICES_FILE, POLICIES_FILE]) {
      assert.match(fs.readFileSync(file, 'utf8'), /^# \S/, `${path.basename(file)} has no leading comment`);
    }
  });

  test('lists the four shop services', () => {
    assert.ok(services.every((document) => document.kind === 'ServiceEndpoints'));
    assert.deepEqual(
      services.map((service) => [service.metadata.name, service.spec.protocol]),
      [
        ['checkout.shop', 'grpc'],
        ['catalog.shop', 'http'],
        ['inventory.shop', 'grpc'],
        ['payments.shop', 'grpc'],
      ],
    );
  });

  test('endpoints use distinct loopback ports', () => {
    const ports = endpoints.map((endpoint) => endpoint.port as number);
    assert.ok(endpoints.every((endpoint) => endpoint.address === '127.0.0.1'));
    assert.equal(new Set(ports).size, ports.length, `repeated ports in ${ports.join(', ')}`);
    for (const reserved of RESERVED_PORTS) {
      assert.ok(!ports.includes(reserved), `an endpoint takes reserved port ${reserved}`);
    }
  });

  test('endpoints sit in known places', () => {
    for (const endpoint of endpoints) {
      const where = `${endpoint.service} ${endpoint.address}:${endpoint.port}`;
      const place = PLACES[endpoint.locality.region];
      assert.ok(place, `${where}: unknown region ${endpoint.locality.region}`);
      assert.ok(place.zones.includes(endpoint.locality.zone), `${where}: zone ${endpoint.locality.zone} is not in ${endpoint.locality.region}`);
      assert.equal(endpoint.cluster, place.cluster, `${where}: wrong Kubernetes cluster or site`);
    }
  });

  test('covers every zone', () => {
    const zones = new Set(endpoints.map((endpoint) => endpoint.locality.zone));
    for (const place of Object.values(PLACES)) {
      for (const zone of place.zones) assert.ok(zones.has(zone), `no endpoint in zone ${zone}`);
    }
  });

  test('shows weights, labels and networks', () => {
    assert.ok(endpoints.some((endpoint) => (endpoint.weight ?? 1) > 1), 'no endpoint has a weight above 1');
    assert.ok(endpoints.some((endpoint) => endpoint.labels !== undefined), 'no endpoint has labels');
    assert.ok(endpoints.some((endpoint) => endpoint.network !== undefined), 'no endpoint names a network');
    assert.ok(endpoints.some((endpoint) => endpoint.locality.subZone !== undefined), 'no endpoint has a sub-zone');
  });

  test('each service has one policy', () => {
    assert.ok(policies.every((document) => document.kind === 'TrafficPolicy'));
    assert.deepEqual(
      policies.map((policy) => policy.spec.service).sort(),
      services.map((service) => service.metadata.name).sort(),
    );
  });

  test('failover names known regions', () => {
    for (const policy of policies) {
      for (const rule of policy.spec.localityLb?.failover ?? []) {
        for (const region of [rule.from, ...rule.to]) {
          assert.ok(PLACES[region], `policy ${policy.metadata.name}: unknown region ${region}`);
        }
      }
    }
  });
});
