import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RevisionStore } from '../../store';

let stateDir: string;

before(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'meridian-revisions-'));
});

after(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const input = (hash: string, author: string) => ({ hash, author, message: `set ${hash}`, files: [{ name: 'policies.yaml', text: `# ${hash}\n` }] });

test('revisions survive reopening', async () => {
  const folder = join(stateDir, 'reopen');
  const store = await RevisionStore.open(folder, { now: () => new Date('2030-01-02T03:04:05.000Z') });
  await store.append({ ...input('aaa', 'file:conf'), folderDigest: 'd1' });
  await store.append(input('bbb', 'alice'));

  const reopened = await RevisionStore.open(folder);
  assert.deepEqual(
    reopened.list().map((revision) => [revision.id, revision.hash, revision.author, revision.time]),
    [
      [1, 'aaa', 'file:conf', '2030-01-02T03:04:05.000Z'],
      [2, 'bbb', 'alice', '2030-01-02T03:04:05.000Z'],
    ],
  );
  assert.equal(reopened.inForce()?.id, 2);
  assert.equal(reopened.latestFromFolder()?.id, 1);
  assert.deepEqual(reopened.get(2)?.files, [{ name: 'policies.yaml', text: '# bbb\n' }]);
});

test('append leaves no temporary file', async () => {
  const folder = join(stateDir, 'temporary');
  const store = await RevisionStore.open(folder);
  await store.append(input('aaa', 'alice'));
  assert.deepEqual(await readdir(join(folder, 'revisions')), ['00000001.json']);
});

test('ids continue after the newest revision', async () => {
  const folder = join(stateDir, 'continue');
  await (await RevisionStore.open(folder)).append(input('aaa', 'alice'));
  const revision = await (await RevisionStore.open(folder)).append(input('bbb', 'bob'));
  assert.equal(revision.id, 2);
});

test('corrupt revision file is named', async () => {
  const folder = join(stateDir, 'corrupt');
  await (await RevisionStore.open(folder)).append(input('aaa', 'alice'));
  const file = join(folder, 'revisions', '00000001.json');
  await writeFile(file, '{"id": 1, "hash": "aaa"');
  await assert.rejects(RevisionStore.open(folder), (error: Error) => error.message.includes(file) && error.message.includes('restore the file'));
});

test('revision without files is rejected', async () => {
  const folder = join(stateDir, 'no-files');
  await (await RevisionStore.open(folder)).append(input('aaa', 'alice'));
  await writeFile(join(folder, 'revisions', '00000001.json'), JSON.stringify({ id: 1, hash: 'aaa', author: 'a', time: 't', message: 'm' }));
  await assert.rejects(RevisionStore.open(folder), /field "files" is not a list/);
});

test('in-memory store keeps nothing on disk', async () => {
  const store = await RevisionStore.open(undefined);
  await store.append(input('aaa', 'alice'));
  assert.equal(store.location, undefined);
  assert.equal(store.inForce()?.hash, 'aaa');
});
