import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unifiedDiff } from '../../policy';

const lines = (count: number, prefix = 'line'): string => Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}\n`).join('');

test('unifiedDiff of equal texts is empty', () => {
  assert.equal(unifiedDiff('a\nb\n', 'a\nb\n'), '');
});

test('unifiedDiff of an added text', () => {
  assert.equal(unifiedDiff('', 'a\nb\n'), '@@ -0,0 +1,2 @@\n+a\n+b');
});

test('unifiedDiff of a removed text', () => {
  assert.equal(unifiedDiff('a\n', ''), '@@ -1 +0,0 @@\n-a');
});

test('unifiedDiff keeps three lines of context', () => {
  const before = lines(10);
  const after = before.replace('line 5\n', 'line five\n');
  assert.equal(unifiedDiff(before, after), ['@@ -2,7 +2,7 @@', ' line 2', ' line 3', ' line 4', '-line 5', '+line five', ' line 6', ' line 7', ' line 8'].join('\n'));
});

test('unifiedDiff splits distant changes into hunks', () => {
  const before = lines(20);
  const after = before.replace('line 2\n', 'line two\n').replace('line 19\n', 'line nineteen\n');
  const hunks = unifiedDiff(before, after).split('\n').filter((line) => line.startsWith('@@'));
  assert.deepEqual(hunks, ['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
});

test('unifiedDiff joins changes six lines apart', () => {
  const before = lines(20);
  const after = before.replace('line 5\n', 'line five\n').replace('line 12\n', 'line twelve\n');
  const hunks = unifiedDiff(before, after).split('\n').filter((line) => line.startsWith('@@'));
  assert.deepEqual(hunks, ['@@ -2,14 +2,14 @@']);
});
