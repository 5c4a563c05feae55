import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DocumentLoader, formatDiagnostic, formatDiagnostics, loadDocuments, nodeAtPath, parseDocuments, positionOf } from '../../config';
import { makeTempFolder, summarize, yaml } from './fixtures';

describe('parseDocuments', () => {
  test('splits documents and skips empty ones', () => {
    const { documents, diagnostics } = parseDocuments('a.yaml', yaml('a: 1', '---', '# only a comment', '---', 'b: 2'));
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      documents.map((document) => document.yaml.toJSON()),
      [{ a: 1 }, { b: 2 }],
    );
  });

  test('reports a duplicate key at the second key', () => {
    const { documents, diagnostics } = parseDocuments('a.yaml', yaml('spec:', '  port: 1', '  port: 2'));
    assert.deepEqual(diagnostics.map(summarize), [
      { code: 'MERIDIAN_CONFIG_DUPLICATE_KEY', line: 3, column: 3, path: '', message: 'duplicate key "port"; the mapping already has this key' },
    ]);
    assert.deepEqual(documents, []);
  });

  test('reports a syntax error with its position', () => {
    const { diagnostics } = parseDocuments('a.yaml', yaml('spec:', '  hosts: [a, b', 'kind: x'));
    assert.ok(diagnostics.length >= 1);
    assert.equal(diagnostics[0].code, 'MERIDIAN_CONFIG_YAML_SYNTAX');
    assert.equal(diagnostics[0].file, 'a.yaml');
    assert.ok(diagnostics[0].line >= 2, `line ${diagnostics[0].line}`);
    assert.match(diagnostics[0].message, /^invalid YAML: /);
  });

  test('positions follow later documents', () => {
    const { documents } = parseDocuments('a.yaml', yaml('a: 1', '---', 'spec:', '  to: [x, y]'));
    const node = nodeAtPath(documents[1], 'spec.to[1]');
    assert.deepEqual(positionOf(documents[1], node), { line: 4, column: 11 });
  });
});

describe('loadDocuments', () => {
  test('reads a folder in name order', async () => {
    const folder = await makeTempFolder();
    await fs.writeFile(path.join(folder, 'b.yaml'), 'name: b\n');
    await fs.writeFile(path.join(folder, 'a.yml'), 'name: a\n');
    await fs.writeFile(path.join(folder, 'notes.txt'), 'not: yaml config\n');
    const loaded = await loadDocuments([folder]);
    assert.deepEqual(loaded.files, [path.join(folder, 'a.yml'), path.join(folder, 'b.yaml')]);
    assert.deepEqual(
      loaded.documents.map((document) => document.yaml.toJSON()),
      [{ name: 'a' }, { name: 'b' }],
    );
    assert.deepEqual(loaded.diagnostics, []);
  });

  test('warns about a folder without YAML', async () => {
    const folder = await makeTempFolder();
    const loaded = await loadDocuments([folder]);
    assert.equal(loaded.diagnostics.length, 1);
    assert.equal(loaded.diagnostics[0].code, 'MERIDIAN_CONFIG_NO_FILES');
    assert.equal(loaded.diagnostics[0].severity, 'warning');
  });

  test('reports a missing path', async () => {
    const folder = await makeTempFolder();
    const missing = path.join(folder, 'absent.yaml');
    const loaded = await loadDocuments([missing]);
    assert.equal(loaded.diagnostics.length, 1);
    assert.equal(loaded.diagnostics[0].code, 'MERIDIAN_CONFIG_FILE_UNREADABLE');
    assert.equal(loaded.diagnostics[0].file, missing);
    assert.match(loaded.diagnostics[0].message, /ENOENT/);
  });
});

describe('DocumentLoader', () => {
  async function twoFiles(): Promise<{ folder: string; a: string; b: string }> {
    const folder = await makeTempFolder();
    const a = path.join(folder, 'a.yaml');
    const b = path.join(folder, 'b.yaml');
    await fs.writeFile(a, yaml('name: a', '---', 'name: a2'));
    await fs.writeFile(b, yaml('name: b', '---', 'spec:', '  to: [x, y]'));
    return { folder, a, b };
  }

  test('parses only the edited file', async () => {
    const { folder, a } = await twoFiles();
    const loader = new DocumentLoader();
    const first = await loader.load([folder]);
    assert.equal(loader.filesParsed, 2);

    await fs.writeFile(a, yaml('name: a-edited'));
    const second = await loader.load([folder]);
    assert.equal(loader.filesParsed, 3);
    assert.deepEqual(
      second.documents.map((document) => document.yaml.toJSON()),
      [{ name: 'a-edited' }, { name: 'b' }, { spec: { to: ['x', 'y'] } }],
    );
    // The documents of b.yaml are those of the first load.
    assert.equal(second.documents[1], first.documents[2]);
    assert.equal(second.documents[2], first.documents[3]);
  });

  test('reused documents keep their positions', async () => {
    const { folder, a } = await twoFiles();
    const loader = new DocumentLoader();
    await loader.load([folder]);
    await fs.writeFile(a, yaml('# a comment that moves nothing in b.yaml', 'name: a'));
    const loaded = await loader.load([folder]);
    const reused = loaded.documents.find((document) => document.file.endsWith('b.yaml') && document.index === 1)!;
    assert.deepEqual(positionOf(reused, nodeAtPath(reused, 'spec.to[1]')), { line: 4, column: 11 });
  });

  test('reused syntax errors keep their diagnostics', async () => {
    const { folder, a, b } = await twoFiles();
    await fs.writeFile(b, yaml('spec:', '  port: 1', '  port: 2'));
    const loader = new DocumentLoader();
    const first = await loader.load([folder]);
    await fs.writeFile(a, yaml('name: a-edited'));
    const second = await loader.load([folder]);
    assert.equal(loader.filesParsed, 3);
    assert.deepEqual(second.diagnostics.map(summarize), [
      { code: 'MERIDIAN_CONFIG_DUPLICATE_KEY', line: 3, column: 3, path: '', message: 'duplicate key "port"; the mapping already has this key' },
    ]);
    assert.deepEqual(second.diagnostics, first.diagnostics);
    assert.equal(second.diagnostics[0].file, b);
  });

  test('returns the same set when nothing changed', async () => {
    const { folder, a } = await twoFiles();
    const loader = new DocumentLoader();
    const first = await loader.load([folder]);
    const text = await fs.readFile(a, 'utf8');
    await fs.writeFile(a, text);
    assert.equal(await loader.load([folder]), first);

    await fs.writeFile(a, `${text}# the same documents, another text\n`);
    const edited = await loader.load([folder]);
    assert.notEqual(edited, first);
    assert.equal(loader.filesParsed, 3);
  });

  test('repeated read error returns same set', async () => {
    const folder = await makeTempFolder();
    const loader = new DocumentLoader();
    const missing = path.join(folder, 'absent.yaml');
    const first = await loader.load([missing]);
    assert.equal(first.diagnostics[0].code, 'MERIDIAN_CONFIG_FILE_UNREADABLE');
    assert.equal(await loader.load([missing]), first);

    await fs.writeFile(missing, 'name: present\n');
    const present = await loader.load([missing]);
    assert.deepEqual(present.diagnostics, []);
    assert.equal(present.documents.length, 1);
  });

  test('overlapping loads run in turn', async () => {
    const { folder } = await twoFiles();
    const loader = new DocumentLoader();
    const [first, second] = await Promise.all([loader.load([folder]), loader.load([folder])]);
    assert.equal(second, first);
    assert.equal(loader.filesParsed, 2);
  });

  test('keeps only the files of the last load', async () => {
    const { folder, b } = await twoFiles();
    const loader = new DocumentLoader();
    await loader.load([folder]);
    const text = await fs.readFile(b, 'utf8');
    await fs.rm(b);
    const without = await loader.load([folder]);
    assert.equal(without.files.length, 1);
    assert.equal(loader.filesParsed, 2);

    await fs.writeFile(b, text);
    await loader.load([folder]);
    assert.equal(loader.filesParsed, 3, 'a file missing from the last load is parsed again');
  });

  test('loaded sets cannot be changed', async () => {
    const { folder } = await twoFiles();
    const loaded = await new DocumentLoader().load([folder]);
    assert.throws(() => (loaded.documents as unknown[]).push('extra'), TypeError);
    assert.throws(() => (loaded.files as string[]).pop(), TypeError);
    assert.throws(() => {
      (loaded.documents[0] as { file: string }).file = 'other.yaml';
    }, TypeError);
  });
});

describe('formatDiagnostic', () => {
  const diagnostic = {
    code: 'MERIDIAN_CONFIG_UNKNOWN_REGION',
    severity: 'error' as const,
    file: 'policies.yaml',
    line: 12,
    column: 17,
    path: 'spec.failover[0].to[1]',
    value: 'eu-cnetral',
    message: 'unknown region "eu-cnetral"; did you mean "eu-central"? (known regions: eu-central, eu-west)',
    fix: 'use a known region',
  };

  test('prints file, position, code, path and message', () => {
    assert.equal(
      formatDiagnostic(diagnostic),
      'policies.yaml:12:17: error MERIDIAN_CONFIG_UNKNOWN_REGION: spec.failover[0].to[1]: unknown region "eu-cnetral"; did you mean "eu-central"? (known regions: eu-central, eu-west)',
    );
  });

  test('omits a position of the whole file', () => {
    assert.equal(formatDiagnostic({ ...diagnostic, line: 0, column: 0, path: '' }).slice(0, 21), 'policies.yaml: error ');
  });

  test('formatDiagnostics adds the fix', () => {
    assert.equal(formatDiagnostics([diagnostic]).split('\n')[1], '    fix: use a known region');
  });
});
