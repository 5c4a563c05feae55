import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DocumentLoader } from '../../config';
import { StaticSource } from '../../discovery';
import { createConfigKinds, PolicyStore } from '../../policy';
import { PolicyHistory, RevisionStore } from '../../store';
import { makeTempFolder, memoryLogger, replaceLine, waitFor, yaml } from '../config/fixtures';
import { POLICY_LINES, SERVICES_TEXT } from '../policy/policy-documents';

/** Builds a folder with services.yaml and policies.yaml, and the parts that Meridian builds on it, sharing one loader. */
async function setUp(options: { watch: boolean; revisions?: RevisionStore; folder?: string }) {
  const folder = options.folder ?? (await makeTempFolder());
  if (options.folder === undefined) {
    await fs.writeFile(path.join(folder, 'services.yaml'), SERVICES_TEXT);
    await fs.writeFile(path.join(folder, 'policies.yaml'), yaml(...POLICY_LINES));
  }
  const { logger, records } = memoryLogger();
  let validations = 0;
  const kinds = createConfigKinds().addSetCheck(() => validations++);
  const loader = new DocumentLoader();
  const policies = new PolicyStore({ logger, kinds });
  const revisions = options.revisions ?? (await RevisionStore.open(undefined));
  const history = new PolicyHistory({ policies, revisions, configPaths: [folder], logger, watch: options.watch, loader, debounceMs: 20 });
  const source = new StaticSource({ paths: [folder], logger, kinds, watch: false, loader });
  return { folder, records, loader, policies, revisions, history, source, validations: () => validations };
}

/** Hands one load of the folder to the history and then to the source, as `startMeridian` does. */
async function offerEdit(parts: Awaited<ReturnType<typeof setUp>>): Promise<void> {
  const loaded = await parts.loader.load([parts.folder]);
  await parts.history.offerFolder(loaded);
  parts.source.offer(loaded);
}

describe('PolicyHistory with a shared load', () => {
  test('offered folder edit is recorded', async () => {
    const parts = await setUp({ watch: false });
    await parts.history.start();
    assert.equal(parts.history.list().length, 1);

    await fs.writeFile(path.join(parts.folder, 'policies.yaml'), yaml(...replaceLine(POLICY_LINES, 9, '    enabled: false')));
    await parts.history.offerFolder(await parts.loader.load([parts.folder]));
    const newest = parts.history.list().at(-1)!;
    assert.equal(newest.id, 2);
    assert.match(newest.author, /^file:/);
    assert.equal(parts.policies.current().policies[0].localityLb.enabled, false);
    await parts.history.close();
  });

  test('folder edit waits for apply', async () => {
    const parts = await setUp({ watch: false });
    await parts.history.start();
    const applied = yaml(...replaceLine(POLICY_LINES, 7, '  hostnames: [checkout-applied]'));
    await fs.writeFile(path.join(parts.folder, 'policies.yaml'), yaml(...replaceLine(POLICY_LINES, 9, '    enabled: false')));
    const edited = await parts.loader.load([parts.folder]);

    const applying = parts.history.apply([{ name: 'applied.yaml', text: applied }], 'alice', 'apply during an edit');
    const reconciling = parts.history.offerFolder(edited);
    assert.equal((await applying).accepted, true);
    await reconciling;

    assert.deepEqual(
      parts.history.list().map((revision) => [revision.id, revision.author.replace(/:.*/, ''), revision.inForce]),
      [
        [1, 'file', false],
        [2, 'alice', false],
        [3, 'file', true],
      ],
    );
    assert.equal(parts.policies.current().policies[0].localityLb.enabled, false);
    await parts.history.close();
  });

  test('one load validated once for both', async () => {
    const parts = await setUp({ watch: false });
    await parts.source.start();
    await parts.history.start();
    assert.equal(parts.validations(), 1, 'an unchanged folder gives both the same set at start');
    assert.equal(parts.loader.filesParsed, 2);

    await fs.writeFile(path.join(parts.folder, 'services.yaml'), SERVICES_TEXT.replace('10.0.0.1, port: 80', '10.0.0.1, port: 81'));
    await offerEdit(parts);
    assert.equal(parts.validations(), 2);
    assert.equal(parts.loader.filesParsed, 3, 'policies.yaml is not parsed again');
    assert.equal(parts.source.services()[0].endpoints[0].port, 81);
    assert.equal(parts.history.list().length, 1, 'a services edit records no revision');

    await fs.writeFile(path.join(parts.folder, 'policies.yaml'), yaml(...replaceLine(POLICY_LINES, 9, '    enabled: false')));
    await offerEdit(parts);
    assert.equal(parts.validations(), 3, 'check, offer and the source validate the set once');
    assert.equal(parts.history.list().length, 2);
    assert.equal(parts.policies.current().policies[0].localityLb.enabled, false);
    await parts.history.close();
  });

  test('rejected edit keeps both sets', async () => {
    const parts = await setUp({ watch: false });
    await parts.source.start();
    await parts.history.start();
    const services = parts.source.services();
    const policies = parts.policies.current();

    await fs.writeFile(path.join(parts.folder, 'services.yaml'), SERVICES_TEXT.replace('port: 8080', 'port: 70000'));
    await offerEdit(parts);
    assert.equal(parts.source.services(), services);
    assert.equal(parts.policies.current(), policies);
    assert.equal(parts.source.lastErrors()[0].path, 'spec.port');
    assert.deepEqual(parts.policies.lastErrors(), parts.source.lastErrors());
    assert.equal(parts.history.list().length, 1);
    for (const message of ['services rejected', 'configuration rejected']) {
      const record = parts.records.find((candidate) => candidate.msg === message);
      assert.ok(record !== undefined, `${message} is logged`);
      assert.equal((record.diagnostics as string[]).length, 1);
    }
    await parts.history.close();
  });

  test('applied revision survives services edit', async () => {
    const parts = await setUp({ watch: false });
    await parts.source.start();
    await parts.history.start();
    const applied = yaml(...replaceLine(POLICY_LINES, 7, '  hostnames: [checkout-applied]'));
    assert.equal((await parts.history.apply([{ name: 'applied.yaml', text: applied }], 'alice', 'm')).accepted, true);
    const validations = parts.validations();

    for (const port of [81, 82]) {
      await fs.writeFile(path.join(parts.folder, 'services.yaml'), SERVICES_TEXT.replace('10.0.0.1, port: 80', `10.0.0.1, port: ${port}`));
      await offerEdit(parts);
      assert.equal(parts.source.services()[0].endpoints[0].port, port);
      assert.deepEqual(parts.policies.current().policies[0].hostnames, ['checkout-applied']);
    }
    // The source validates the folder, and the store the folder's services with the applied policies.
    assert.equal(parts.validations(), validations + 4);
    assert.equal(parts.history.list().length, 2);
    await parts.history.close();
  });

  test('rejected folder at start serves revision', async () => {
    const first = await setUp({ watch: false });
    await first.history.start();
    await first.history.close();

    await fs.writeFile(path.join(first.folder, 'policies.yaml'), yaml(...replaceLine(POLICY_LINES, 6, '  service: checkout.shp')));
    const restarted = await setUp({ watch: false, folder: first.folder, revisions: first.revisions });
    await restarted.history.start();
    assert.equal(restarted.policies.synced, true);
    assert.deepEqual(restarted.policies.current(), first.policies.current());
    assert.equal(restarted.history.list().length, 1);
    assert.ok(restarted.records.some((record) => record.msg === 'watched folder rejected; serving the revision in force'));
    await restarted.history.close();
  });

  test('own watcher records a folder edit', async () => {
    const parts = await setUp({ watch: true });
    await parts.history.start();
    try {
      await fs.writeFile(path.join(parts.folder, 'policies.yaml'), yaml(...replaceLine(POLICY_LINES, 9, '    enabled: false')));
      await waitFor(() => parts.history.list().length === 2);
      assert.equal(parts.policies.current().policies[0].localityLb.enabled, false);
      assert.equal(parts.loader.filesParsed, 3, 'the watcher reads through the given loader');
    } finally {
      await parts.history.close();
    }
  });
});
