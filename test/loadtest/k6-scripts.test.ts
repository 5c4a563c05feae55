import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Script } from 'node:vm';

// k6 is not installed where the tests run, so the scripts are checked without it: they parse as
// JavaScript, and they import nothing but k6's own modules, which is all k6 can resolve for them.
const K6_FOLDER = resolve(__dirname, '../../../loadtest/k6');
const scripts = readdirSync(K6_FOLDER).filter((name) => name.endsWith('.js'));

const IMPORT = /^import\s+[^;]*?\s+from\s+'([^']+)';$/gm;

/** Turns a k6 module into a classic script with the same statements, so vm.Script can parse it. */
function withoutModuleSyntax(source: string): string {
  return source
    .replace(IMPORT, '')
    .replace(/^export default function\b/m, 'function iteration')
    .replace(/^export /gm, '');
}

test('k6 folder has both scripts', () => {
  assert.deepEqual(scripts.sort(), ['admin-api.js', 'xds-stream.js']);
});

for (const name of scripts) {
  const source = readFileSync(join(K6_FOLDER, name), 'utf8');

  test(`k6 ${name} imports only k6 modules`, () => {
    const modules = [...source.matchAll(IMPORT)].map((match) => match[1]);
    assert.ok(modules.length > 0, 'the script imports k6 modules');
    for (const module of modules) assert.match(module!, /^k6(\/[a-z0-9/-]+)?$/, `${name} imports ${module}`);
  });

  test(`k6 ${name} parses`, () => {
    assert.doesNotThrow(() => new Script(withoutModuleSyntax(source), { filename: name }));
    assert.match(source, /^export const options = /m);
    assert.match(source, /^export default function/m);
  });
}
