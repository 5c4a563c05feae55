import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import {
  bytesPerChange,
  encodeAssignment,
  endpointChange,
  idleFleet,
  meshWideChange,
  reconnectStorm,
  sustainedChanges,
  type BenchProfile,
  type ScenarioResult,
} from './scenarios';
import { formatReport } from './report';

const QUICK: BenchProfile = {
  name: 'quick',
  workers: 1,
  variant: 'sotw',
  debounceMs: 100,
  mesh: { services: 50, endpointsPerService: 6, regions: 3, zonesPerRegion: 2 },
  t1Proxies: 200,
  t1Runs: 1,
  t2Proxies: [200],
  t2Runs: 3,
  t3Mesh: { services: 100, endpointsPerService: 3, regions: 3, zonesPerRegion: 2 },
  t3Proxies: 100,
  t3Runs: 2,
  t4Proxies: 200,
  t4RampMs: 1000,
  t4Runs: 2,
  t5Proxies: 100,
  t5ChangesPerSecond: 40,
  t5Seconds: 10,
  t6Sizes: [1000, 10_000],
  t6Runs: 30,
  waitMs: 60_000,
};

const FULL: BenchProfile = {
  name: 'full',
  workers: 4,
  variant: 'sotw',
  debounceMs: 100,
  mesh: { services: 100, endpointsPerService: 6, regions: 3, zonesPerRegion: 2 },
  t1Proxies: 10_000,
  t1Runs: 3,
  t2Proxies: [5000, 10_000],
  t2Runs: 10,
  t3Mesh: { services: 1000, endpointsPerService: 3, regions: 3, zonesPerRegion: 2 },
  t3Proxies: 5000,
  t3Runs: 3,
  t4Proxies: 5000,
  t4RampMs: 5000,
  t4Runs: 3,
  t5Proxies: 5000,
  t5ChangesPerSecond: 40,
  t5Seconds: 600,
  t6Sizes: [1000, 10_000],
  t6Runs: 200,
  waitMs: 180_000,
};

const SCENARIOS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'bytes'] as const;

const USAGE = `usage: npm run bench -- [--quick] [--only T1,T2,...] [--variant sotw|delta] [--proxies N] [--t5-seconds N] [--out FILE] [--profile-dir DIR]

Runs the fleet benchmark: simulated Envoy streams against Meridian and against a bare gRPC floor.
  --quick          small sizes for CI, under two minutes; the default is the full sizes
  --only LIST      comma-separated scenarios to run, from ${SCENARIOS.join(', ')}; default all
  --variant V      xDS variant of T1, T2, T4 and T5: sotw (default) or delta; T3 and bytes run both
  --proxies N      number of simulated proxies in T1 to T5 instead of the mode's sizes
  --t5-seconds N   duration of T5 in seconds; default 10 (quick) or 600 (full)
  --out FILE       also write the results as JSON to FILE
  --profile-dir D  write a V8 CPU profile (.cpuprofile) of every server process into D/server
                   and of every simulator process into D/simulator
`;

/** Soft limit on open files of this process, from /proc; undefined where /proc is missing. */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function largestFleet(profile: BenchProfile, only: ReadonlySet<string>): number {
  const sizes: number[] = [];
  if (only.has('T1')) sizes.push(profile.t1Proxies);
  if (only.has('T2')) sizes.push(...profile.t2Proxies);
  if (only.has('T3')) sizes.push(profile.t3Proxies);
  if (only.has('T4')) sizes.push(profile.t4Proxies);
  if (only.has('T5')) sizes.push(profile.t5Proxies);
  return Math.max(0, ...sizes);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        't5-seconds': { type: 'string' },
        proxies: { type: 'string' },
        variant: { type: 'string', default: 'sotw' },
        out: { type: 'string' },
        'profile-dir': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const profile: BenchProfile = { ...(values.quick ? QUICK : FULL) };
  if (values['t5-seconds'] !== undefined) {
    const seconds = Number(values['t5-seconds']);
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
      process.stderr.write(`bench: invalid --t5-seconds "${values['t5-seconds']}": expected whole seconds from 1 to 3600\n`);
      return 2;
    }
    profile.t5Seconds = seconds;
  }
  if (values.proxies !== undefined) {
    const proxies = Number(values.proxies);
    if (!Number.isInteger(proxies) || proxies < 1 || proxies > 50_000) {
      process.stderr.write(`bench: invalid --proxies "${values.proxies}": expected a whole number from 1 to 50000\n`);
      return 2;
    }
    Object.assign(profile, { t1Proxies: proxies, t2Proxies: [proxies], t3Proxies: proxies, t4Proxies: proxies, t5Proxies: proxies });
  }
  if (values.variant !== 'sotw' && values.variant !== 'delta') {
    process.stderr.write(`bench: invalid --variant "${values.variant}": expected sotw or delta\n`);
    return 2;
  }
  profile.variant = values.variant;
  profile.profileDir = values['profile-dir'];
  const only = new Set(values.only ? values.only.split(',').map((name) => name.trim()) : SCENARIOS);
  const unknown = [...only].filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown scenario "${unknown[0]}" in --only; choose from ${SCENARIOS.join(', ')}\n`);
    return 2;
  }

  // The server opens one socket per proxy, and each worker opens one per proxy it simulates.
  const needed = largestFleet(profile, only) + 256;
  const limit = openFileLimit();
  if (limit !== undefined && limit < needed) {
    process.stderr.write(`bench: the open file limit is ${limit}, and this run needs about ${needed}; raise it with "ulimit -n ${needed}" in this shell and run again\n`);
    return 1;
  }

  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  process.stdout.write(`meridian fleet benchmark, ${profile.name} mode, on ${machine}\n`);

  const results: ScenarioResult[] = [];
  const run = async (name: string, scenario: () => Promise<ScenarioResult>): Promise<void> => {
    if (!only.has(name)) return;
    const started = Date.now();
    process.stdout.write(`running ${name}...\n`);
    const before = results.length;
    const result = await scenario();
    results.push(result);
    // Print each scenario's lines as it ends, so a long run shows its progress.
    process.stdout.write(formatReport(results.slice(before), { quick: profile.name === 'quick' }));
    process.stdout.write(`${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  };

  try {
    await run('T6', async () => {
      const rows = [];
      for (const size of profile.t6Sizes) rows.push(await encodeAssignment(profile, size));
      results.push(...rows.slice(0, -1));
      return rows[rows.length - 1]!;
    });
    await run('bytes', async () => {
      results.push(await bytesPerChange(profile, 'sotw'));
      return bytesPerChange(profile, 'delta');
    });
    await run('T1', () => idleFleet(profile));
    await run('T2', async () => {
      const rows = [];
      for (const proxies of profile.t2Proxies) rows.push(await endpointChange(profile, proxies));
      results.push(...rows.slice(0, -1));
      return rows[rows.length - 1]!;
    });
    await run('T3', async () => {
      results.push(await meshWideChange(profile, 'delta'));
      return meshWideChange(profile, 'sotw');
    });
    await run('T4', () => reconnectStorm(profile));
    await run('T5', () => sustainedChanges(profile));
  } catch (error) {
    process.stderr.write(`bench: the benchmark could not run: ${(error as Error).stack ?? error}\n`);
    if (results.length > 0) process.stdout.write(formatReport(results, { quick: profile.name === 'quick' }));
    return 1;
  }

  process.stdout.write(formatReport(results, { quick: profile.name === 'quick' }));
  if (values.out) writeFileSync(values.out, `${JSON.stringify({ profile, machine, results }, null, 2)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
