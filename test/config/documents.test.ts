import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { formatDiagnostic, formatDiagnostics, loadDocuments, nodeAtPath, parseDocuments, positionOf } from '../../config';
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
