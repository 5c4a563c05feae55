import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CONFIG_ERRORS, createDiagnostic } from '../../config';

// Compiled tests run from dist/test/config, so the repository root is three folders up.
const ERRORS_DOC = path.join(__dirname, '..', '..', '..', 'docs', 'errors.md');

test('docs/errors.md lists every catalogue code', () => {
  const text = fs.readFileSync(ERRORS_DOC, 'utf8');
  const documented = [...text.matchAll(/^## `(MERIDIAN_[A-Z_]+)`/gm)].map((match) => match[1]).sort();
  const catalogued = Object.keys(CONFIG_ERRORS).sort();
  assert.deepEqual(documented, catalogued);
});

test('createDiagnostic fills catalogue defaults', () => {
  const diagnostic = createDiagnostic('MERIDIAN_CONFIG_NO_FILES', { file: 'conf', line: 0, column: 0, path: '', message: 'empty' });
  assert.equal(diagnostic.severity, 'warning');
  assert.equal(diagnostic.fix, CONFIG_ERRORS.MERIDIAN_CONFIG_NO_FILES.fix);
});

test('createDiagnostic keeps a given fix', () => {
  const diagnostic = createDiagnostic('MERIDIAN_CONFIG_MISSING_FIELD', { file: 'f', line: 1, column: 1, path: 'spec', message: 'm', fix: 'add spec' });
  assert.equal(diagnostic.fix, 'add spec');
  assert.equal(diagnostic.severity, 'error');
});
