import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { ConfigWatcher, DocumentLoader, type LoadedDocuments } from '../../config';

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

test('watcher parses only the edited file', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'meridian-watch-'));
  await writeFile(join(folder, 'a.yaml'), 'name: a\n');
  await writeFile(join(folder, 'b.yaml'), 'name: b\n');
  const loader = new DocumentLoader();
  const reloads: LoadedDocuments[] = [];
  const watcher = new ConfigWatcher([folder], (loaded) => void reloads.push(loaded), { logger: pino({ level: 'silent' }), debounceMs: 20, loader });
  const initial = await loader.load([folder]);
  watcher.start();
  try {
    await writeFile(join(folder, 'a.yaml'), 'name: a-edited\n');
    const deadline = Date.now() + 3000;
    while (reloads.length === 0 && Date.now() < deadline) await delay(10);
    await delay(100);
    assert.equal(reloads.length, 1);
    assert.equal(loader.filesParsed, 3, 'the edit parses a.yaml only');
    assert.deepEqual(
      reloads[0].documents.map((document) => document.yaml.toJSON()),
      [{ name: 'a-edited' }, { name: 'b' }],
    );
    assert.equal(reloads[0].documents[1], initial.documents[1]);
  } finally {
    await watcher.close();
    await rm(folder, { recursive: true, force: true });
  }
});

test('reloadNow waits for the listener', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'meridian-watch-'));
  await writeFile(join(folder, 'a.yaml'), 'name: a\n');
  const handled: string[] = [];
  const watcher = new ConfigWatcher(
    [folder],
    async (loaded) => {
      await delay(50);
      handled.push(JSON.stringify(loaded.documents.map((document) => document.yaml.toJSON())));
    },
    { logger: pino({ level: 'silent' }), debounceMs: 20 },
  );
  watcher.start();
  try {
    await watcher.reloadNow();
    assert.deepEqual(handled, ['[{"name":"a"}]']);

    // A reload requested during another one runs after it, and is the one awaited.
    const first = watcher.reloadNow();
    await writeFile(join(folder, 'a.yaml'), 'name: b\n');
    await watcher.reloadNow();
    await first;
    assert.equal(handled.at(-1), '[{"name":"b"}]');
  } finally {
    await watcher.close();
    await rm(folder, { recursive: true, force: true });
  }
});

test('reload reports its file event time', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'meridian-watch-'));
  const file = join(folder, 'mesh.yaml');
  await writeFile(file, 'generation: 0\n');
  const seen: (number | undefined)[] = [];
  const watcher: ConfigWatcher = new ConfigWatcher([folder], () => void seen.push(watcher.eventTimeOfReload), {
    logger: pino({ level: 'silent' }),
    debounceMs: 100,
  });
  watcher.start();
  try {
    const writtenAt = Date.now();
    await writeFile(file, 'generation: 1\n');
    for (let waited = 0; seen.length === 0 && waited < 3000; waited += 20) await delay(20);

    assert.equal(seen.length, 1);
    const eventAt = seen[0]!;
    assert.ok(eventAt >= writtenAt, `event ${writtenAt - eventAt} ms before the write`);
    assert.ok(eventAt < writtenAt + 100, `event ${eventAt - writtenAt} ms after the write`);
    assert.equal(watcher.eventTimeOfReload, undefined, 'unset outside the listener');
  } finally {
    await watcher.close();
    await rm(folder, { recursive: true, force: true });
  }
});
