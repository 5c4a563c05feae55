import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { startMeridian, type RunningMeridian } from '../../controller';
import { Prober } from '../../health';
import { TYPE_URL } from '../../xds';
import { RawXdsStream } from '../helpers/ads-client';
import { eventually } from '../helpers/backends';
import { DelayProxy } from '../helpers/delay-proxy';
import { RegionOrderReader, regionsByPriority } from '../helpers/region-order';

/**
 * One prober per region (r1, r2, r3) in this process, on loopback. The probers of r2 and r3
 * advertise a delaying TCP proxy in front of their probe listener, so the other probers' real
 * round-trip checks pass through it. A proxy's one-way delay sets how far its region is.
 */
const REPORT_INTERVAL_MS = 200;
const CLIENT = { id: 'client-r1', cluster: 'shop', locality: { region: 'r1', zone: 'a' } };

const MESH = `apiVersion: meridian.io/v1alpha1
kind: ServiceEndpoints
metadata:
  name: echo.test
spec:
  port: 8080
  protocol: grpc
  endpoints:
    - { address: 127.0.0.1, port: 50111, cluster: k8s-r1, locality: { region: r1, zone: a } }
    - { address: 127.0.0.1, port: 50112, cluster: k8s-r2, locality: { region: r2, zone: a } }
    - { address: 127.0.0.1, port: 50113, cluster: k8s-r3, locality: { region: r3, zone: a } }
---
apiVersion: meridian.io/v1alpha1
kind: TrafficPolicy
metadata:
  name: echo
spec:
  service: echo.test
  hostnames: [echo]
  localityLb:
    enabled: true
    failoverOrder: latency
    failover:
      - { from: r1, to: [r2, r3] }
`;

let folder: string;
let meridian: RunningMeridian;
let stream: RawXdsStream;
let reader: RegionOrderReader;
const probers: Prober[] = [];
const proxies: Record<'r2' | 'r3', DelayProxy | undefined> = { r2: undefined, r3: undefined };

function rttMs(from: string, to: string): number | undefined {
  return meridian.health.latency.regionRttMs(from, to);
}

/** Starts the prober of `region`; for r2 and r3, behind a delaying proxy that it advertises. */
async function startProber(region: 'r1' | 'r2' | 'r3', controlPlane: string, logger: pino.Logger): Promise<void> {
  const locality = { region, zone: 'a', subZone: '' };
  if (region === 'r1') {
    const prober = new Prober({ id: `prober-${region}`, locality, controlPlane, probeListen: '127.0.0.1:0', logger });
    probers.push(prober);
    await prober.start();
    return;
  }
  // The proxy's target is the prober's listener, known only once it listens: connect after start.
  const proxy = await DelayProxy.start({ host: '127.0.0.1', port: 0 });
  proxies[region] = proxy;
  const prober = new Prober({ id: `prober-${region}`, locality, controlPlane, probeListen: '127.0.0.1:0', probeAdvertise: proxy.address, logger });
  probers.push(prober);
  await prober.start();
  proxy.target.port = Number(prober.probeListenAddress()!.split(':').at(-1));
}

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'meridian-latency-proxy-'));
  await writeFile(join(folder, 'mesh.yaml'), MESH);
  const logger = pino({ level: 'silent' });
  meridian = await startMeridian({
    configPaths: [folder],
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger,
    debounceMs: 20,
    healthReportIntervalMs: REPORT_INTERVAL_MS,
  });
  const controlPlane = `127.0.0.1:${meridian.xdsPort}`;
  for (const region of ['r1', 'r2', 'r3'] as const) await startProber(region, controlPlane, logger);
  // r3 starts far away (about 40 ms per round trip), so the first measured order is r2 then r3.
  proxies.r3!.delayMs = 20;
  stream = new RawXdsStream(controlPlane);
  reader = new RegionOrderReader(stream, 'echo.test');
  stream.send({ node: CLIENT, type_url: TYPE_URL.clusterLoadAssignment, resource_names: ['echo.test'] });
});

after(async () => {
  stream?.close();
  for (const prober of probers) prober.stop();
  for (const proxy of Object.values(proxies)) proxy?.close();
  await meridian?.close();
  if (folder) await rm(folder, { recursive: true, force: true });
});

test('latency order follows proxy delay', async () => {
  await eventually(() => meridian.health.hds.probers().length === 3, 10_000);
  await eventually(() => (rttMs('r1', 'r3') ?? 0) > 35, 10_000);
  assert.deepEqual(meridian.health.latency.regionOrder('r1'), ['r2', 'r3']);
  await reader.waitFor(['r1', 'r2', 'r3'], 5000);

  // r2 moves far away (about 80 ms): the measured order flips, and so do the client's priorities.
  proxies.r2!.delayMs = 40;
  const flipMs = await reader.waitFor(['r1', 'r3', 'r2'], 10_000);
  assert.deepEqual(meridian.health.latency.regionOrder('r1'), ['r3', 'r2']);
  assert.ok(rttMs('r1', 'r2')! > rttMs('r1', 'r3')!, 'r2 is measured farther than r3');

  // r2 comes a little nearer than r3 (about 36 ms against 40), within the hysteresis margin of
  // 20%: the order stays.
  proxies.r2!.delayMs = 18;
  // The moving average settles within a few milliseconds of twice the delay, above it by the
  // proxy's timers and loopback connects.
  await eventually(() => rttMs('r1', 'r2')! < 2 * 18 + 4 && rttMs('r1', 'r2')! < rttMs('r1', 'r3')!, 10_000);
  const during = await stream.collectFor(1000);
  for (const response of during) assert.deepEqual(regionsByPriority(response), ['r1', 'r3', 'r2']);
  assert.deepEqual(meridian.health.latency.regionOrder('r1'), ['r3', 'r2']);
  assert.deepEqual(regionsByPriority(reader.latest!), ['r1', 'r3', 'r2']);

  // The delay is removed: past the margin, the order flips back.
  proxies.r2!.delayMs = 0;
  const flipBackMs = await reader.waitFor(['r1', 'r2', 'r3'], 10_000);
  process.stdout.write(`latency-ordered failover (delay proxy): flip ${Math.round(flipMs)} ms, flip back ${Math.round(flipBackMs)} ms after the delay change\n`);
});
