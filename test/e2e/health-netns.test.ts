import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { HdsServer, HealthAggregator, LatencyMatrix, type HealthTarget } from '../../health';
import { HEALTH_CHECK_DEFAULTS } from '../../policy';
import { eventually } from '../helpers/backends';

/**
 * Network namespaces made by this test: a bridge, one namespace per prober (localities r1/a and
 * r1/b) and one per endpoint, joined by veth pairs on 10.213.77.0/24. Probers reach the control
 * plane through a unix socket, so no address of the root namespace is used.
 */
const PREFIX = `mrd${process.pid % 100000}`;
const BRIDGE_NS = `${PREFIX}-br`;
const SUBNET = '10.213.77';
const NODES = {
  proberA: { ns: `${PREFIX}-pa`, address: `${SUBNET}.11` },
  proberB: { ns: `${PREFIX}-pb`, address: `${SUBNET}.12` },
  endpointA: { ns: `${PREFIX}-ea`, address: `${SUBNET}.21` },
  endpointB: { ns: `${PREFIX}-eb`, address: `${SUBNET}.22` },
} as const;
type NodeName = keyof typeof NODES;
const ENDPOINT_PORT = 8080;
const BIN = join(__dirname, '..', '..', '..', 'bin', 'meridian.js');

const INTERVAL_MS = 200;
const REPORT_INTERVAL_MS = 200;
/** Time for a fault to show in the decisions: thresholds, a report, and a margin. */
const SETTLE_MS = 2 * INTERVAL_MS + 2 * REPORT_INTERVAL_MS + 800;

const skipReason = namespacesUnavailable();

function namespacesUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    execFileSync('ip', ['netns', 'add', `${PREFIX}-probe`], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'del', `${PREFIX}-probe`], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `"ip netns add" failed (${(error as Error).message.split('\n')[0]}); install iproute2 and run as root`;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

function buildNamespaces(): void {
  ip('netns', 'add', BRIDGE_NS);
  ip('-n', BRIDGE_NS, 'link', 'add', 'br0', 'type', 'bridge');
  ip('-n', BRIDGE_NS, 'link', 'set', 'br0', 'up');
  for (const [name, node] of Object.entries(NODES)) {
    const inner = `v-${name}`.slice(0, 15);
    const outer = `b-${name}`.slice(0, 15);
    ip('netns', 'add', node.ns);
    ip('-n', node.ns, 'link', 'set', 'lo', 'up');
    ip('link', 'add', inner, 'netns', node.ns, 'type', 'veth', 'peer', 'name', outer, 'netns', BRIDGE_NS);
    ip('-n', BRIDGE_NS, 'link', 'set', outer, 'master', 'br0');
    ip('-n', BRIDGE_NS, 'link', 'set', outer, 'up');
    ip('-n', node.ns, 'addr', 'add', `${node.address}/24`, 'dev', inner);
    ip('-n', node.ns, 'link', 'set', inner, 'up');
  }
}

function removeNamespaces(): void {
  for (const ns of [BRIDGE_NS, ...Object.values(NODES).map((node) => node.ns)]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // Already gone, or never made.
    }
  }
}

/** Cuts or restores one node's link to the bridge. */
function setLink(name: NodeName, up: boolean): void {
  ip('-n', NODES[name].ns, 'link', 'set', `v-${name}`.slice(0, 15), up ? 'up' : 'down');
}

/** Cuts or restores the path from one prober to one endpoint with a blackhole route. */
function setPath(prober: NodeName, endpoint: NodeName, cut: boolean): void {
  ip('-n', NODES[prober].ns, 'route', cut ? 'add' : 'del', 'blackhole', `${NODES[endpoint].address}/32`);
}

let folder: string;
let server: grpc.Server;
let hds: HdsServer;
let aggregator: HealthAggregator;
const children = new Map<string, ChildProcess>();

function inNamespace(key: string, ns: string, args: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: 'ignore' });
  children.set(key, child);
  return child;
}

function startProber(name: 'proberA' | 'proberB', zone: string): void {
  const node = NODES[name];
  inNamespace(name, node.ns, [
    process.execPath, BIN, 'prober', '--id', name, '--locality', `r1/${zone}`, '--control-plane', `unix:${join(folder, 'hds.sock')}`,
    '--probe-address', `${node.address}:7000`, '--log-level', 'warn',
  ]);
}

function stopChild(key: string): void {
  children.get(key)?.kill('SIGTERM');
  children.delete(key);
}

function unhealthyEndpoints(): string[] {
  return aggregator.state().endpoints.filter((endpoint) => !endpoint.healthy).map((endpoint) => endpoint.endpoint);
}

function target(): HealthTarget {
  const check = { ...HEALTH_CHECK_DEFAULTS, protocol: 'tcp' as const, intervalMs: INTERVAL_MS, timeoutMs: 150, unhealthyThreshold: 2, healthyThreshold: 1, holdDownMs: 0 };
  return {
    service: 'svc',
    clusterName: 'svc',
    check,
    endpoints: [
      { address: NODES.endpointA.address, port: ENDPOINT_PORT, locality: { region: 'r1', zone: 'a', subZone: '' } },
      { address: NODES.endpointB.address, port: ENDPOINT_PORT, locality: { region: 'r1', zone: 'b', subZone: '' } },
    ],
  };
}

before(async () => {
  if (skipReason !== undefined) return;
  removeNamespaces();
  buildNamespaces();
  folder = mkdtempSync(join(tmpdir(), 'meridian-netns-'));

  const logger = pino({ level: 'silent' });
  aggregator = new HealthAggregator({ logger, silenceMs: 5 * REPORT_INTERVAL_MS });
  hds = new HdsServer({ aggregator, latency: new LatencyMatrix(), logger, reportIntervalMs: REPORT_INTERVAL_MS });
  server = new grpc.Server();
  const service = hds.service();
  server.addService(service.definition, service.implementation);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${join(folder, 'hds.sock')}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  hds.setTargets([target()]);

  for (const name of ['endpointA', 'endpointB'] as const) {
    const listen = `require('net').createServer((s) => s.destroy()).listen(${ENDPOINT_PORT}, '${NODES[name].address}')`;
    inNamespace(name, NODES[name].ns, [process.execPath, '-e', listen]);
  }
  startProber('proberA', 'a');
  startProber('proberB', 'b');
  await eventually(() => aggregator.state().endpoints.every((endpoint) => endpoint.votes.length === 2), 20_000);
});

after(async () => {
  for (const key of [...children.keys()]) stopChild(key);
  hds?.close();
  aggregator?.close();
  server?.forceShutdown();
  if (skipReason === undefined) removeNamespaces();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const netnsTest = (name: string, body: () => Promise<void>) => test(name, { skip: skipReason }, body);

netnsTest('cut remote prober path reports partition', async () => {
  setPath('proberB', 'endpointA', true);
  try {
    await eventually(() => aggregator.state().partitions.some((partition) => partition.prober === 'proberB' && partition.to === 'r1/a'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    assert.deepEqual(unhealthyEndpoints(), []);
  } finally {
    setPath('proberB', 'endpointA', false);
  }
  await eventually(() => aggregator.state().partitions.length === 0, 10_000);
});

netnsTest('endpoint cut for everyone is ejected', async () => {
  setLink('endpointA', false);
  try {
    await eventually(() => unhealthyEndpoints().includes(`${NODES.endpointA.address}:${ENDPOINT_PORT}`), 10_000);
    assert.deepEqual(unhealthyEndpoints(), [`${NODES.endpointA.address}:${ENDPOINT_PORT}`]);
  } finally {
    setLink('endpointA', true);
  }
  await eventually(() => unhealthyEndpoints().length === 0, 10_000);
});

netnsTest('killed prober ejects nothing', async () => {
  stopChild('proberB');
  await eventually(() => hds.probers().length === 1, 10_000);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  assert.deepEqual(unhealthyEndpoints(), []);
  startProber('proberB', 'b');
  await eventually(() => aggregator.state().endpoints.every((endpoint) => endpoint.votes.length === 2), 20_000);
});

netnsTest('random link faults cause no false ejection', async () => {
  const faults: { name: string; apply: (on: boolean) => void }[] = [
    { name: 'proberA link', apply: (on) => setLink('proberA', !on) },
    { name: 'proberB link', apply: (on) => setLink('proberB', !on) },
    { name: 'proberA to endpointA', apply: (on) => setPath('proberA', 'endpointA', on) },
    { name: 'proberA to endpointB', apply: (on) => setPath('proberA', 'endpointB', on) },
    { name: 'proberB to endpointA', apply: (on) => setPath('proberB', 'endpointA', on) },
    { name: 'proberB to endpointB', apply: (on) => setPath('proberB', 'endpointB', on) },
  ];
  const ROUNDS = 6;
  let falseEjections = 0;
  let partitionsSeen = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const fault = faults[Math.floor(Math.random() * faults.length)];
    fault.apply(true);
    const until = Date.now() + SETTLE_MS;
    try {
      // Every endpoint keeps serving, so any unhealthy decision is a false ejection.
      while (Date.now() < until) {
        falseEjections += unhealthyEndpoints().length;
        if (aggregator.state().partitions.length > 0) partitionsSeen++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      fault.apply(false);
    }
    await eventually(() => aggregator.state().partitions.length === 0, 10_000);
  }
  process.stdout.write(`netns random faults: ${ROUNDS} rounds, ${falseEjections} false ejection samples, ${partitionsSeen} samples with a partition\n`);
  assert.equal(falseEjections, 0);
  assert.ok(partitionsSeen > 0, 'the faults were seen as partitions');
});
