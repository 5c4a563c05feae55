import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { ConfigWatcher } from '../../config';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('watcher reloads a file written without pause', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'meridian-watch-'));
  const file = join(folder, 'mesh.yaml');
  await writeFile(file, 'generation: 0\n');
  const reloads: string[] = [];
  const watcher = new ConfigWatcher([folder], (loaded) => void reloads.push(JSON.stringify(loaded)), {
    logger: pino({ level: 'silent' }),
    debounceMs: 100,
    maxDelayMs: 300,
  });
  watcher.start();
  try {
    // A write every 20 ms never leaves the 100 ms quiet period, so only the maximum delay
    // brings reloads while the writes go on.
    const writesEndAt = Date.now() + 1000;
    for (let generation = 1; Date.now() < writesEndAt; generation++) {
      await writeFile(file, `generation: ${generation}\n`);
      await delay(20);
    }
    const duringWrites = reloads.length;
    assert.ok(duringWrites >= 2, `expected reloads while writes continued, got ${duringWrites}`);
    assert.ok(duringWrites <= 6, `expected the bursts to be coalesced, got ${duringWrites} reloads`);
  } finally {
    await watcher.close();
    await rm(folder, { recursive: true, force: true });
  }
});
