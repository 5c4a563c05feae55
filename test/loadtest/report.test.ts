import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, verdictOf } from '../../loadtest/report';
import type { ScenarioResult } from '../../loadtest/scenarios';

function result(p99: number, floorP99: number, samples = 10): ScenarioResult {
  return {
    id: 'T2',
    size: '5000 sotw',
    title: 'one endpoint change',
    unit: 'ms',
    target: 'p99 <= 1200 ms and <= 1.5x floor',
    limit: 1200,
    maxFloorRatio: 1.5,
    meridian: { median: p99 / 2, p99, samples, notes: ['note'] },
    floor: { median: floorP99 / 2, p99: floorP99, samples, notes: [] },
  };
}

test('verdict names each missed target', () => {
  assert.equal(verdictOf(result(1000, 900)), 'met');
  assert.equal(verdictOf(result(1800, 1000)), 'missed limit by 50%, floor ratio (1.8x > 1.5x)');
});

test('report rows show size and verdict', () => {
  const [header, , row] = formatReport([result(1800, 1000)]).split('\n');
  assert.match(header!, /^scenario\s+size\s+unit/);
  assert.match(row!, /^T2\s+5000 sotw\s+ms\s+900\s+1800\s+1000\s+1\.80x/);
  assert.match(row!, /missed limit by 50%/);
});

test('quick report skips fleet verdicts', () => {
  const text = formatReport([result(1800, 1000, 1)], { quick: true });
  assert.match(text, /full sizes only/);
  assert.doesNotMatch(text, /missed/);
  assert.match(text, /meridian: 1 sample; note/);
});

test('quick report keeps encode verdicts', () => {
  const encode: ScenarioResult = { ...result(3, 0), id: 'T6', size: '1000 endpoints', limit: 2, maxFloorRatio: undefined, floor: undefined };
  assert.match(formatReport([encode], { quick: true }), /missed limit by 50%/);
});
