import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DocumentLoader } from '../../config';
import { PolicyStore, REVISION_LENGTH, canonicalJson } from '../../policy';
import { makeTempFolder, memoryLogger, replaceLine, waitFor, yaml } from '../config/fixtures';
import { POLICY_LINES, SERVICES_TEXT } from './policy-documents';

async function writeConfig(folder: string, policyLines: readonly string[]): Promise<void> {
  await fs.writeFile(path.join(folder, 'services.yaml'), SERVICES_TEXT);
  await replaceFile(path.join(folder, 'policies.yaml'), yaml(...policyLines));
}

async function replaceFile(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await fs.writeFile(temporary, text);
  await fs.rename(temporary, file);
}

describe('PolicyStore', () => {
  test('starts empty and unsynced', () => {
    const store = new PolicyStore({ logger: memoryLogger().logger });
    assert.deepEqual(store.current().policies, []);
    assert.equal(store.current().revision.length, REVISION_LENGTH);
    assert.equal(store.synced, false);
  });

  test('load accepts a valid set', async () => {
    const folder = await makeTempFolder();
    await writeConfig(folder, POLICY_LINES);
    const store = new PolicyStore({ logger: memoryLogger().logger });
    let changes = 0;
    store.onChange(() => changes++);
    const result = await store.load([folder]);
    assert.equal(result.accepted, true);
    assert.equal(store.synced, true);
    assert.deepEqual(
      store.current().policies.map((policy) => policy.name),
      ['checkout'],
    );
    assert.match(store.current().revision, /^[0-9a-f]{12}$/);
    assert.equal(changes, 1);
  });

  test('load rejects an invalid set and keeps the old one', async () => {
    const folder = await makeTempFolder();
    await writeConfig(folder, POLICY_LINES);
    const { logger, records } = memoryLogger();
    const store = new PolicyStore({ logger });
    await store.load([folder]);
    const before = store.current();

    await writeConfig(folder, replaceLine(POLICY_LINES, 12, '        to: [eu-cnetral]'));
    const result = await store.load([folder]);
    assert.equal(result.accepted, false);
    assert.equal(store.current(), before);
    assert.equal(store.lastErrors()[0].code, 'MERIDIAN_CONFIG_UNKNOWN_REGION');
    const rejected = records.find((record) => record.msg === 'configuration rejected');
    assert.ok(rejected !== undefined);
    assert.equal(rejected.revision, before.revision);
    assert.deepEqual(rejected.diagnostics, [
      `${path.join(folder, 'policies.yaml')}:12:14: error MERIDIAN_CONFIG_UNKNOWN_REGION: spec.localityLb.failover[0].to[0]: unknown region "eu-cnetral"; did you mean "eu-central"? (known regions: eu-central, eu-west, us-east) (fix: use a region that some endpoint's locality names: eu-central, eu-west, us-east)`,
    ]);
  });

  test('same rejected load logs once', async () => {
    const folder = await makeTempFolder();
    await writeConfig(folder, POLICY_LINES);
    const { logger, records } = memoryLogger();
    const store = new PolicyStore({ logger });
    await store.load([folder]);
    await writeConfig(folder, replaceLine(POLICY_LINES, 12, '        to: [eu-cnetral]'));
    const loader = new DocumentLoader();
    const loaded = await loader.load([folder]);

    assert.equal(store.offer(loaded).accepted, false);
    assert.equal(store.offer(loaded).accepted, false, 'the repeated load is rejected too');
    assert.equal(records.filter((record) => record.msg === 'configuration rejected').length, 1);

    // Another load with the same errors, such as a candidate built from the same folder, is not logged again.
    assert.equal(store.offer(await new DocumentLoader().load([folder])).accepted, false);
    assert.equal(records.filter((record) => record.msg === 'configuration rejected').length, 1);

    // Once a load is accepted, the same mistake made again is logged again.
    await writeConfig(folder, POLICY_LINES);
    assert.equal(store.offer(await loader.load([folder])).accepted, true);
    await writeConfig(folder, replaceLine(POLICY_LINES, 12, '        to: [eu-cnetral]'));
    assert.equal(store.offer(await loader.load([folder])).accepted, false);
    assert.equal(records.filter((record) => record.msg === 'configuration rejected').length, 2);
  });

  test('revision follows content, not layout', async () => {
    const first = await makeTempFolder();
    await writeConfig(first, POLICY_LINES);
    const second = await makeTempFolder();
    const reordered = ['# the same policy, keys in another order', ...POLICY_LINES.slice(2, 4), ...POLICY_LINES.slice(0, 2), ...POLICY_LINES.slice(4)];
    await writeConfig(second, reordered);
    const changed = await makeTempFolder();
    await writeConfig(changed, replaceLine(POLICY_LINES, 9, '    enabled: false'));

    const revisions = [];
    for (const folder of [first, second, changed]) {
      const store = new PolicyStore({ logger: memoryLogger().logger });
      await store.load([folder]);
      revisions.push(store.current().revision);
    }
    assert.equal(revisions[0], revisions[1]);
    assert.notEqual(revisions[0], revisions[2]);
  });

  test('watch applies good edits and rejects bad ones', async () => {
    const folder = await makeTempFolder();
    await writeConfig(folder, POLICY_LINES);
    const store = new PolicyStore({ logger: memoryLogger().logger, debounceMs: 20 });
    const result = await store.watch([folder]);
    assert.equal(result.accepted, true);
    try {
      await writeConfig(folder, replaceLine(POLICY_LINES, 9, '    enabled: false'));
      await waitFor(() => store.current().policies[0].localityLb.enabled === false);
      const good = store.current();

      await writeConfig(folder, replaceLine(POLICY_LINES, 6, '  service: checkout.shp'));
      await waitFor(() => store.lastErrors().length > 0);
      assert.equal(store.current(), good);
    } finally {
      await store.close();
    }
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every depth', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }), '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});
