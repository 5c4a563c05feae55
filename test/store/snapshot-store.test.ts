import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SnapshotStore, SNAPSHOT_FILE } from '../../store';
import { buildSnapshot, encodeResource, SnapshotCache, TYPE_URL, type EncodedResource, type TypeUrl } from '../../xds';
import { makeTempFolder, memoryLogger } from '../config/fixtures';

function clusterSnapshot(names: string[], cause = 'test') {
  const clusters = names.map((name) => encodeResource(TYPE_URL.cluster, name, { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }));
  const assignments = names.map((name) => encodeResource(TYPE_URL.clusterLoadAssignment, name, { cluster_name: name }));
  return buildSnapshot(
    new Map<TypeUrl, EncodedResource[]>([
      [TYPE_URL.cluster, clusters],
      [TYPE_URL.clusterLoadAssignment, assignments],
    ]),
    cause,
  );
}

test('saved snapshots load with same versions', async () => {
  const stateDir = await makeTempFolder();
  const { logger } = memoryLogger();
  const store = new SnapshotStore({ stateDir, logger });
  const snapshot = clusterSnapshot(['checkout', 'catalog']);
  store.save('envoy|r1/r1-a', snapshot);
  await store.flush();
  assert.deepEqual(await readdir(stateDir), [SNAPSHOT_FILE], 'the atomic write leaves no temporary file');

  const loaded = await new SnapshotStore({ stateDir, logger }).load();
  const restored = loaded.get('envoy|r1/r1-a')!;
  for (const typeUrl of [TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment]) {
    assert.equal(restored.types.get(typeUrl)!.version, snapshot.types.get(typeUrl)!.version);
    for (const [name, resource] of snapshot.types.get(typeUrl)!.resources) {
      assert.deepEqual(Buffer.from(restored.types.get(typeUrl)!.resources.get(name)!.body), Buffer.from(resource.body));
    }
  }
  assert.equal(restored.cause, 'restored test', 'the cause says where the snapshot came from');
});

test('corrupt snapshot file starts cold', async () => {
  const stateDir = await makeTempFolder();
  const { logger, records } = memoryLogger();
  await writeFile(join(stateDir, SNAPSHOT_FILE), '{"format":1,"groups":{"g":');
  assert.equal((await new SnapshotStore({ stateDir, logger }).load()).size, 0);
  assert.ok(records.some((record) => record.msg === 'snapshot file invalid; starting cold'));
});

test('tampered resource body is rejected', async () => {
  const stateDir = await makeTempFolder();
  const { logger, records } = memoryLogger();
  const store = new SnapshotStore({ stateDir, logger });
  store.save('g', clusterSnapshot(['checkout']));
  await store.flush();
  const file = JSON.parse(await readFile(join(stateDir, SNAPSHOT_FILE), 'utf8'));
  file.groups.g.types[TYPE_URL.cluster][0].body = Buffer.from('not the resource').toString('base64');
  await writeFile(join(stateDir, SNAPSHOT_FILE), JSON.stringify(file));

  assert.equal((await new SnapshotStore({ stateDir, logger }).load()).size, 0, 'a body that does not match its version is not served');
  assert.ok(records.some((record) => record.msg === 'snapshot file invalid; starting cold'));
});

test('inconsistent snapshot is not published', () => {
  const cache = new SnapshotCache(() => 'g');
  const good = clusterSnapshot(['checkout']);
  cache.setSnapshot('g', good);
  // A cluster without its ClusterLoadAssignment names a resource the snapshot lacks.
  const dangling = buildSnapshot(
    new Map<TypeUrl, EncodedResource[]>([
      [TYPE_URL.cluster, [encodeResource(TYPE_URL.cluster, 'orphan', { name: 'orphan', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } })]],
      [TYPE_URL.clusterLoadAssignment, []],
    ]),
    'dangling',
  );
  assert.throws(() => cache.setSnapshot('g', dangling), /inconsistent snapshot for group g not published: orphan refers to missing type\.googleapis\.com\/envoy\.config\.endpoint\.v3\.ClusterLoadAssignment "orphan"/);
  assert.equal(cache.getSnapshot('g'), good, 'the group keeps its previous snapshot');
});
