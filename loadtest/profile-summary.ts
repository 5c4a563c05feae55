import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` file that the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Returns the functions with the most self time in a V8 CPU profile, as [frame, milliseconds, share]. */
export function topFrames(profile: CpuProfile, count: number): [string, number, number][] {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const sampleMs = totalMs / Math.max(1, profile.samples.length);
  const byFrame = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.includes('node_modules/') ? url.replace(/^.*node_modules\//, '') : url.replace(/^.*\/dist\//, '');
    const frame = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + (node.hitCount ?? 0) * sampleMs);
  }
  return [...byFrame.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, ms]) => [frame, ms, ms / totalMs]);
}

if (require.main === module) {
  const [file, count = '15'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/loadtest/profile-summary.js FILE.cpuprofile [COUNT]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  for (const [frame, ms, share] of topFrames(profile, Number(count))) {
    process.stdout.write(`${ms.toFixed(0).padStart(8)} ms  ${(share * 100).toFixed(1).padStart(5)}%  ${frame}\n`);
  }
}
