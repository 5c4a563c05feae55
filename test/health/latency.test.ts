import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyMatrix } from '../../health';

const EU = { region: 'eu', zone: 'eu-1', subZone: '' };
const US = { region: 'us', zone: 'us-1', subZone: '' };
const ASIA = { region: 'asia', zone: 'asia-1', subZone: '' };

test('latency: order is nearest first', () => {
  const matrix = new LatencyMatrix();
  matrix.record(EU, US, 80);
  matrix.record(EU, ASIA, 200);
  assert.deepEqual(matrix.regionOrder('eu'), ['us', 'asia']);
  assert.deepEqual(matrix.entries().map((entry) => `${entry.from}>${entry.to}`), ['eu/eu-1>asia/asia-1', 'eu/eu-1>us/us-1']);
});

test('latency: small swings keep the order', () => {
  const matrix = new LatencyMatrix();
  matrix.record(EU, US, 100);
  matrix.record(EU, ASIA, 110);
  let changes = 0;
  matrix.onOrderChange(() => changes++);
  // ASIA becomes slightly nearer than US, by less than the 20% margin.
  for (let i = 0; i < 20; i++) {
    matrix.record(EU, US, 100);
    matrix.record(EU, ASIA, 90);
  }
  assert.deepEqual(matrix.regionOrder('eu'), ['us', 'asia']);
  assert.equal(changes, 0);
});

test('latency: clear change reorders once', () => {
  const matrix = new LatencyMatrix();
  matrix.record(EU, US, 100);
  matrix.record(EU, ASIA, 110);
  let changes = 0;
  matrix.onOrderChange(() => changes++);
  for (let i = 0; i < 20; i++) {
    matrix.record(EU, US, 100);
    matrix.record(EU, ASIA, 40);
  }
  assert.deepEqual(matrix.regionOrder('eu'), ['asia', 'us']);
  assert.equal(changes, 1);
});

test('latency: unmeasured region has no order', () => {
  assert.deepEqual(new LatencyMatrix().regionOrder('eu'), []);
});
