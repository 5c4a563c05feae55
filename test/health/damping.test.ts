import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyHoldDown } from '../../health';

const HOLD_DOWN_MS = 1000;

test('hold-down: first change applies at once', () => {
  const result = applyHoldDown(new Map([['e', false]]), new Map(), 5000, () => HOLD_DOWN_MS);
  assert.deepEqual(result.decisions.get('e'), { healthy: false, changedAt: 5000 });
  assert.deepEqual(result.changed, ['e']);
});

test('hold-down: flip within hold-down waits', () => {
  const current = new Map([['e', { healthy: false, changedAt: 5000 }]]);
  const result = applyHoldDown(new Map([['e', true]]), current, 5500, () => HOLD_DOWN_MS);
  assert.equal(result.decisions.get('e')!.healthy, false);
  assert.deepEqual(result.changed, []);
  assert.deepEqual(result.damped, [{ key: 'e', healthy: true, notBefore: 6000 }]);
});

test('hold-down: flip after hold-down applies', () => {
  const current = new Map([['e', { healthy: false, changedAt: 5000 }]]);
  const result = applyHoldDown(new Map([['e', true]]), current, 6000, () => HOLD_DOWN_MS);
  assert.deepEqual(result.decisions.get('e'), { healthy: true, changedAt: 6000 });
  assert.deepEqual(result.changed, ['e']);
});

test('hold-down: flapping endpoint changes once per period', () => {
  let current = new Map<string, { healthy: boolean; changedAt: number }>();
  let changes = 0;
  // The votes flip every 100 ms for 3 s.
  for (let now = 1000; now < 4000; now += 100) {
    const desired = new Map([['e', (now / 100) % 2 === 0]]);
    const result = applyHoldDown(desired, current, now, () => HOLD_DOWN_MS);
    changes += result.changed.length;
    current = result.decisions;
  }
  assert.ok(changes <= 4, `expected at most 4 changes in 3 s, got ${changes}`);
});

test('hold-down: endpoints not desired are dropped', () => {
  const current = new Map([['gone', { healthy: false, changedAt: 1 }]]);
  const result = applyHoldDown(new Map(), current, 10, () => HOLD_DOWN_MS);
  assert.equal(result.decisions.size, 0);
});

test('hold-down: immediate keys change at once', () => {
  const current = new Map([['e', { healthy: false, changedAt: 5000 }]]);
  const result = applyHoldDown(new Map([['e', true]]), current, 5100, () => HOLD_DOWN_MS, new Set(['e']));
  assert.deepEqual(result.decisions.get('e'), { healthy: true, changedAt: 5100 });
  assert.deepEqual(result.changed, ['e']);
  assert.deepEqual(result.damped, []);
});
