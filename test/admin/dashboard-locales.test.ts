import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dashboardFolder } from '../../admin';

const FOLDER = dashboardFolder();
const LOCALES = ['en', 'zh-CN'] as const;

function readLocale(locale: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FOLDER, 'locales', `${locale}.json`), 'utf8')) as Record<string, unknown>;
}

/** Keys the page and the script use: data-i18n attributes, and t('key') calls with a literal key. */
function usedKeys(): Set<string> {
  const html = readFileSync(join(FOLDER, 'index.html'), 'utf8');
  const script = readFileSync(join(FOLDER, 'dashboard.js'), 'utf8');
  const keys = new Set<string>();
  for (const match of html.matchAll(/data-i18n="([^"]*)"/g)) keys.add(match[1]!);
  for (const match of script.matchAll(/\bt\(\s*'([^']*)'/g)) keys.add(match[1]!);
  return keys;
}

/** Returns the sorted {name} placeholders of a message. */
function placeholdersOf(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();
}

describe('dashboard locales', () => {
  const en = readLocale('en');
  const zh = readLocale('zh-CN');

  test('locales have the same keys', () => {
    assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  });

  for (const locale of LOCALES) {
    test(`${locale} has no empty values`, () => {
      for (const [key, value] of Object.entries(readLocale(locale))) {
        assert.equal(typeof value, 'string', `${locale} ${key} is not a string`);
        assert.notEqual((value as string).trim(), '', `${locale} ${key} is empty`);
      }
    });
  }

  test('locales have the same placeholders', () => {
    for (const [key, value] of Object.entries(en)) {
      assert.deepEqual(placeholdersOf(zh[key] as string), placeholdersOf(value as string), `placeholders of ${key}`);
    }
  });

  test('every used key exists', () => {
    const keys = usedKeys();
    assert.ok(keys.size > 50, `found only ${keys.size} keys; the scan patterns no longer match the files`);
    for (const key of keys) assert.ok(key in en, `the dashboard uses ${key}, which en.json lacks`);
  });

  test('every key is used', () => {
    const keys = usedKeys();
    for (const key of Object.keys(en)) assert.ok(keys.has(key), `en.json has ${key}, which neither index.html nor dashboard.js uses`);
  });

  test('script builds no key at run time', () => {
    const script = readFileSync(join(FOLDER, 'dashboard.js'), 'utf8');
    // t(variable) would hide a key from the scan. The page's data-i18n loop is the one exception.
    const dynamic = [...script.matchAll(/(?<!function )\bt\(\s*([^'\s)][^)]*)\)/g)].map((match) => match[1]);
    assert.deepEqual(dynamic, ['element.dataset.i18n']);
  });

  test('zh-CN keeps field terms', () => {
    // Field terms stay as the field writes them in every locale.
    const terms: Array<[string, string]> = [
      ['proxies.nodeId', 'node id'],
      ['proxies.locality', 'locality'],
      ['proxies.acked', 'ACK'],
      ['proxies.stateNacked', 'NACK'],
      ['nacks.heading', 'NACK'],
      ['nacks.source', 'TrafficPolicy'],
      ['endpoints.cluster', 'cluster'],
    ];
    for (const [key, term] of terms) assert.ok((zh[key] as string).includes(term), `zh-CN ${key} should contain "${term}": ${zh[key]}`);
  });
});
