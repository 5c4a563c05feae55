import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TYPE_URL } from '../../xds';
import { Fleet, type ServerKind } from '../../loadtest/fleet';
import type { XdsVariant } from '../../loadtest/simulated-proxy';
import { endpointsOf, serviceNameOf, type FleetSpec } from '../../loadtest/fleet-config';

const SPEC: FleetSpec = { services: 3, endpointsPerService: 2, regions: 2, zonesPerRegion: 1 };
const PROXIES = 4;
const WAIT_MS = 20_000;

const CASES: [ServerKind, XdsVariant][] = [
  ['meridian', 'sotw'],
  ['meridian', 'delta'],
  ['floor', 'sotw'],
  ['floor', 'delta'],
];

// Each server and variant runs the same checks: every simulated proxy ACKs every type, then
// follows an edit of the config files and an update through the benchmark's discovery source.
for (const [server, variant] of CASES) {
  test(`fleet on ${server} ${variant} follows changes`, async () => {
    const fleet = await Fleet.start({ server, variant, spec: SPEC, proxies: PROXIES, workers: 2, debounceMs: 20 });
    try {
      await fleet.connect(0);
      const synced = await fleet.waitSynced(WAIT_MS);
      assert.equal(synced.missing, 0, 'every proxy ACKs every type');
      assert.equal(synced.times.length, PROXIES);

      const initial = await fleet.counters();
      assert.equal(initial.proxies, PROXIES);
      assert.equal(initial.reconnects, 0, 'no stream ended');
      for (const typeUrl of Object.values(TYPE_URL)) {
        assert.ok((initial.bytesByType[typeUrl] ?? 0) > 0, `proxies received ${typeUrl}`);
      }

      fleet.state.markers[1] = 1;
      await fleet.setTarget({ minEndpointMarker: 1 });
      await fleet.applyFileChange(['services']);
      const edited = await fleet.waitTarget(WAIT_MS);
      assert.equal(edited.missing, 0, 'every proxy ACKs the file edit');

      await fleet.trackChanges(1);
      fleet.state.markers[2] = 2;
      const at = performance.timeOrigin + performance.now();
      fleet.announceChange(2, at);
      await fleet.server.call('updateServices', {
        services: [{ name: serviceNameOf(2), port: 8080, protocol: 'http', endpoints: endpointsOf(SPEC, fleet.state, 2) }],
      });
      await fleet.setTarget({ minEndpointMarker: 2 });
      const updated = await fleet.waitTarget(WAIT_MS);
      assert.equal(updated.missing, 0, 'every proxy ACKs the source update');

      const reports = await fleet.latency();
      const acks = reports.flatMap((report) => report.histogram).reduce((sum, [, count]) => sum + count, 0);
      assert.equal(acks, PROXIES, 'one recorded ACK of change 2 per proxy');
      assert.ok(reports.every((report) => report.lowestMarker === 2));
    } finally {
      await fleet.stop();
    }
  });
}

for (const variant of ['sotw', 'delta'] as XdsVariant[]) {
  test(`fleet follows a mesh-wide ${variant} change`, async () => {
    const fleet = await Fleet.start({ server: 'meridian', variant, spec: SPEC, proxies: 2, workers: 1, debounceMs: 20 });
    try {
      await fleet.connect(0);
      assert.equal((await fleet.waitSynced(WAIT_MS)).missing, 0);

      // Every Cluster gains HTTP/2 options and every virtual host a generation hostname.
      fleet.state.protocol = 'grpc';
      fleet.state.hostnameGeneration = 1;
      await fleet.setTarget({ http2Clusters: SPEC.services, minRouteGeneration: 1 });
      await fleet.applyFileChange(['services', 'policies']);
      assert.equal((await fleet.waitTarget(WAIT_MS)).missing, 0);
    } finally {
      await fleet.stop();
    }
  });
}
