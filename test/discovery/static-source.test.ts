import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DocumentLoader } from '../../config';
import { StaticSource } from '../../discovery';
import { createConfigKinds } from '../../policy';
import { SERVICE_LINES, makeTempFolder, memoryLogger, replaceLine, waitFor, yaml } from '../config/fixtures';

function serviceYaml(name: string, port: number): string {
  return yaml(...replaceLine(replaceLine(SERVICE_LINES, 4, `  name: ${name}`), 6, `  port: ${port}`));
}

/** Writes a file the way editors save: a temporary file renamed over the old one. */
async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await fs.writeFile(temporary, text);
  await fs.rename(temporary, file);
}

describe('StaticSource', () => {
  test('loads a folder and syncs', async () => {
    const folder = await makeTempFolder();
    await fs.writeFile(path.join(folder, 'b.yaml'), serviceYaml('b.shop', 81));
    await fs.writeFile(path.join(folder, 'a.yaml'), serviceYaml('a.shop', 80));
    const { logger } = memoryLogger();
    const source = new StaticSource({ paths: [folder], logger, watch: false });
    assert.equal(source.synced, false);
    await source.start();
    assert.equal(source.synced, true);
    assert.deepEqual(
      source.services().map((service) => [service.name, service.port]),
      [
        ['a.shop', 80],
        ['b.shop', 81],
      ],
    );
    assert.deepEqual(source.lastErrors(), []);
    await source.stop();
  });

  test('stays unsynced after an invalid first load', async () => {
    const folder = await makeTempFolder();
    await fs.writeFile(path.join(folder, 'a.yaml'), serviceYaml('a.shop', 0));
    const { logger, records } = memoryLogger();
    const source = new StaticSource({ paths: [folder], logger, watch: false });
    await source.start();
    assert.equal(source.synced, false);
    assert.deepEqual(source.services(), []);
    assert.equal(source.lastErrors()[0].code, 'MERIDIAN_CONFIG_OUT_OF_RANGE');
    assert.ok(records.some((record) => record.msg === 'services rejected'));
  });

  test('logs a corrected edit once', async () => {
    const folder = await makeTempFolder();
    const file = path.join(folder, 'a.yaml');
    await fs.writeFile(file, serviceYaml('a.shop', 80));
    const { logger, records } = memoryLogger();
    const loader = new DocumentLoader();
    const source = new StaticSource({ paths: [folder], logger, watch: false, loader });
    await source.start();

    await fs.writeFile(file, serviceYaml('a.shop', 0));
    source.offer(await loader.load([folder]));
    await fs.writeFile(file, serviceYaml('a.shop', 80));
    source.offer(await loader.load([folder]));

    const messages = records.map((record) => record.msg);
    assert.deepEqual(messages.filter((message) => message === 'services rejected'), ['services rejected']);
    assert.ok(messages.includes('services accepted again; the services in force did not change'));
    const rejected = records.find((record) => record.msg === 'services rejected')!;
    assert.match((rejected.diagnostics as string[])[0]!, /\(fix: /, 'the log line carries the fix');
  });

  test('stays quiet without logRejections', async () => {
    const folder = await makeTempFolder();
    const file = path.join(folder, 'a.yaml');
    await fs.writeFile(file, serviceYaml('a.shop', 0));
    const { logger, records } = memoryLogger();
    const source = new StaticSource({ paths: [folder], logger, watch: false, logRejections: false });
    await source.start();

    assert.equal(source.lastErrors()[0].code, 'MERIDIAN_CONFIG_OUT_OF_RANGE');
    assert.equal(records.filter((record) => record.msg === 'services rejected').length, 0);
  });

  test('applies a good edit and rejects a bad one', async () => {
    const folder = await makeTempFolder();
    const file = path.join(folder, 'services.yaml');
    await fs.writeFile(file, serviceYaml('a.shop', 80));
    const { logger, records } = memoryLogger();
    const source = new StaticSource({ paths: [folder], logger, debounceMs: 20 });
    let changes = 0;
    source.onChange(() => changes++);
    await source.start();
    assert.equal(changes, 1);

    try {
      await replaceFile(file, serviceYaml('a.shop', 90));
      await waitFor(() => source.services()[0]?.port === 90);
      assert.equal(changes, 2);

      await replaceFile(file, serviceYaml('a.shop', 70000));
      await waitFor(() => source.lastErrors().length > 0);
      assert.equal(source.services()[0].port, 90);
      assert.equal(source.lastErrors()[0].path, 'spec.port');
      assert.equal(changes, 2);
      const rejected = records.find((record) => record.msg === 'services rejected');
      assert.ok(rejected !== undefined);
      assert.equal(rejected.errorCount, 1);

      await fs.writeFile(path.join(folder, 'more.yaml'), serviceYaml('b.shop', 81));
      await replaceFile(file, serviceYaml('a.shop', 91));
      await waitFor(() => source.services().length === 2);
      assert.deepEqual(source.lastErrors(), []);
      assert.deepEqual(
        source.services().map((service) => service.port),
        [91, 81],
      );
    } finally {
      await source.stop();
    }
  });

  test('watches a single file replaced by rename', async () => {
    const folder = await makeTempFolder();
    const file = path.join(folder, 'one.yaml');
    await fs.writeFile(file, serviceYaml('a.shop', 80));
    const { logger } = memoryLogger();
    const source = new StaticSource({ paths: [file], logger, debounceMs: 20 });
    await source.start();
    try {
      await fs.writeFile(path.join(folder, 'other.yaml'), serviceYaml('ignored.shop', 80));
      await replaceFile(file, serviceYaml('a.shop', 82));
      await waitFor(() => source.services()[0]?.port === 82);
      assert.deepEqual(
        source.services().map((service) => service.name),
        ['a.shop'],
      );
    } finally {
      await source.stop();
    }
  });

  test('offer applies sets loaded by the caller', async () => {
    const folder = await makeTempFolder();
    const file = path.join(folder, 'services.yaml');
    await fs.writeFile(file, serviceYaml('a.shop', 80));
    const { logger, records } = memoryLogger();
    const loader = new DocumentLoader();
    const source = new StaticSource({ paths: [folder], logger, watch: false, loader });
    let changes = 0;
    source.onChange(() => changes++);
    await source.start();
    assert.equal(loader.filesParsed, 1, 'start reads through the given loader');

    await fs.writeFile(file, serviceYaml('a.shop', 90));
    source.offer(await loader.load([folder]));
    assert.equal(source.services()[0].port, 90);
    assert.equal(changes, 2);

    await fs.writeFile(file, serviceYaml('a.shop', 70000));
    source.offer(await loader.load([folder]));
    assert.equal(source.services()[0].port, 90);
    assert.equal(source.lastErrors()[0].path, 'spec.port');
    assert.equal(changes, 2);
    assert.ok(records.some((record) => record.msg === 'services rejected'));
    await source.stop();
  });

  test('first load skips other kinds errors', async () => {
    const folder = await makeTempFolder();
    await fs.writeFile(path.join(folder, 'a.yaml'), serviceYaml('a.shop', 80));
    const policy = (field: string) => `apiVersion: meridian.io/v1alpha1\nkind: TrafficPolicy\nmetadata:\n  name: a\nspec:\n  service: a.shop\n  ${field}: [a]\n`;
    await fs.writeFile(path.join(folder, 'policy.yaml'), policy('hostnamez'));
    const { logger, records } = memoryLogger();
    const loader = new DocumentLoader();
    const source = new StaticSource({ paths: [folder], logger, watch: false, loader, kinds: createConfigKinds() });
    await source.start();
    assert.equal(source.synced, true, 'valid services sync the source despite a broken TrafficPolicy');
    assert.deepEqual(source.services().map((service) => service.name), ['a.shop']);
    assert.ok(source.lastErrors().some((diagnostic) => diagnostic.code === 'MERIDIAN_CONFIG_UNKNOWN_FIELD'));
    assert.ok(records.some((record) => String(record.msg).startsWith('services loaded at start although')));

    // Once synced, an edit with any error is rejected as a whole.
    await fs.writeFile(path.join(folder, 'a.yaml'), serviceYaml('a.shop', 90));
    source.offer(await loader.load([folder]));
    assert.equal(source.services()[0].port, 80);
    assert.ok(records.some((record) => record.msg === 'services rejected'));

    await fs.writeFile(path.join(folder, 'policy.yaml'), policy('hostnames'));
    source.offer(await loader.load([folder]));
    assert.equal(source.services()[0].port, 90);
    assert.deepEqual(source.lastErrors(), []);
  });

  test('first load with an unreadable file stays unsynced', async () => {
    // A file that cannot be parsed may hold services, so the valid ones alone are not the whole set.
    const folder = await makeTempFolder();
    await fs.writeFile(path.join(folder, 'a.yaml'), serviceYaml('a.shop', 80));
    await fs.writeFile(path.join(folder, 'b.yaml'), 'kind: [');
    const { logger } = memoryLogger();
    const source = new StaticSource({ paths: [folder], logger, watch: false, kinds: createConfigKinds() });
    await source.start();
    assert.equal(source.synced, false);
    assert.deepEqual(source.services(), []);
  });

  test('rejects an empty path list', () => {
    const { logger } = memoryLogger();
    assert.throws(() => new StaticSource({ paths: [], logger }), /at least one path/);
  });
});
