import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { HealthAggregator, waveWindowMs, type EndpointReport, type HealthTarget } from '../../health';
import { HEALTH_CHECK_DEFAULTS, type HealthCheckPolicy } from '../../policy';

const ZONE_A = { region: 'r1', zone: 'a', subZone: '' };
const ZONE_B = { region: 'r1', zone: 'b', subZone: '' };
const REPORT_INTERVAL_MS = 200;
const CHECK: HealthCheckPolicy = { ...HEALTH_CHECK_DEFAULTS, protocol: 'tcp', intervalMs: 200, timeoutMs: 150, unhealthyThreshold: 2, holdDownMs: 0 };

/** Three endpoints in r1/a (ports 1 to 3) and one in r1/b (port 4), checked by one prober. */
function targetOf(check: HealthCheckPolicy): HealthTarget {
  return {
    service: 'svc',
    clusterName: 'svc',
    check,
    endpoints: [1, 2, 3, 4].map((port) => ({ address: '10.0.0.1', port, locality: port === 4 ? ZONE_B : ZONE_A })),
  };
}

/** Reports `down` ports unhealthy and the other three healthy. */
function reportOf(down: number[]): EndpointReport[] {
  return [1, 2, 3, 4].map((port) => ({ service: 'svc', address: '10.0.0.1', port, status: down.includes(port) ? 'unhealthy' : 'healthy' }));
}

/** Creates an aggregator on a clock that the test moves. */
function createAggregator(check: HealthCheckPolicy): { aggregator: HealthAggregator; clock: { now: number }; changes: string[][] } {
  const clock = { now: 1_000_000 };
  const aggregator = new HealthAggregator({
    logger: pino({ level: 'silent' }),
    maxEjectShare: 0.5,
    reportIntervalMs: REPORT_INTERVAL_MS,
    silenceMs: 10 * REPORT_INTERVAL_MS,
    now: () => clock.now,
  });
  aggregator.setTargets([targetOf(check)]);
  const changes: string[][] = [];
  aggregator.onChange((changed) => changes.push([...changed]));
  return { aggregator, clock, changes };
}

function unhealthyPorts(aggregator: HealthAggregator): number[] {
  return [1, 2, 3, 4].filter((port) => aggregator.isHealthy('svc', '10.0.0.1', port) === false);
}

test('aggregator: wave window covers checks and reports', () => {
  assert.equal(waveWindowMs(CHECK, REPORT_INTERVAL_MS), 200 + 0 + 150 + 400);
  assert.equal(waveWindowMs({ ...CHECK, jitterMs: 50, unhealthyThreshold: 3 }, 1000), 200 + 150 + 150 + 2000);
});

test('aggregator: single failure is ejected in the first report', () => {
  const { aggregator, changes } = createAggregator(CHECK);
  aggregator.recordReport('a1', ZONE_A, reportOf([2]));
  assert.deepEqual(unhealthyPorts(aggregator), [2]);
  assert.deepEqual(changes, [['svc|10.0.0.1:2']]);
  assert.deepEqual(aggregator.state().held, []);
});

test('aggregator: staggered wave of one prober is held whole', () => {
  const { aggregator, clock, changes } = createAggregator({ ...CHECK, holdDownMs: 30_000 });
  aggregator.recordReport('a1', ZONE_A, reportOf([]));

  // The prober's checks cross the threshold one report apart: each step alone is within the share.
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  assert.deepEqual(unhealthyPorts(aggregator), [1]);
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2]));
  assert.deepEqual(unhealthyPorts(aggregator), [1, 2]);
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2, 3]));

  // The third ejection makes the wave 3 of 4: all three are held, and the two applied ejections
  // are restored at once although the hold-down is 30 s.
  assert.deepEqual(unhealthyPorts(aggregator), []);
  assert.deepEqual(changes.at(-1), ['svc|10.0.0.1:1', 'svc|10.0.0.1:2']);
  assert.deepEqual(aggregator.state().held, [{ service: 'svc', prober: 'a1', endpoints: ['10.0.0.1:1', '10.0.0.1:2', '10.0.0.1:3'], share: 0.75 }]);
  assert.deepEqual(aggregator.state().damped, []);

  // Long after the wave window, the same reports keep the wave held.
  clock.now += 10 * waveWindowMs(CHECK, REPORT_INTERVAL_MS);
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2, 3]));
  assert.deepEqual(unhealthyPorts(aggregator), []);
  assert.equal(aggregator.state().held.length, 1);
  aggregator.close();
});

test('aggregator: held wave released to one ejection', () => {
  const { aggregator, clock } = createAggregator(CHECK);
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2, 3]));
  assert.deepEqual(unhealthyPorts(aggregator), []);
  assert.equal(aggregator.state().held.length, 1);

  // The prober reaches two endpoints again: the remaining failure is within the share and applies.
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  assert.deepEqual(unhealthyPorts(aggregator), [1]);
  assert.deepEqual(aggregator.state().held, []);

  // Every check passes again: nothing is held and nothing is ejected.
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([]));
  assert.deepEqual(unhealthyPorts(aggregator), []);
  aggregator.close();
});

test('aggregator: released ejection waits for hold-down', () => {
  const { aggregator, clock } = createAggregator({ ...CHECK, holdDownMs: 5000 });
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2, 3]));
  assert.deepEqual(unhealthyPorts(aggregator), []);

  // Restoring port 1 was its last change, so its ejection now waits for the hold-down.
  const restoredAt = clock.now;
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  assert.deepEqual(unhealthyPorts(aggregator), []);
  assert.deepEqual(aggregator.state().damped, [{ key: 'svc|10.0.0.1:1', healthy: false, notBefore: restoredAt + 5000 }]);

  clock.now = restoredAt + 5000;
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  assert.deepEqual(unhealthyPorts(aggregator), [1]);
  aggregator.close();
});

test('aggregator: failures apart by more than the window eject one by one', () => {
  const { aggregator, clock } = createAggregator(CHECK);
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  clock.now += waveWindowMs(CHECK, REPORT_INTERVAL_MS) + 1;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2]));
  clock.now += waveWindowMs(CHECK, REPORT_INTERVAL_MS) + 1;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2, 3]));
  assert.deepEqual(unhealthyPorts(aggregator), [1, 2, 3]);
  assert.deepEqual(aggregator.state().held, []);
  aggregator.close();
});

test('aggregator: agreeing probers eject a small wave', () => {
  const { aggregator, clock } = createAggregator(CHECK);
  aggregator.recordReport('a1', ZONE_A, reportOf([1]));
  aggregator.recordReport('b1', ZONE_B, reportOf([1]));
  clock.now += REPORT_INTERVAL_MS;
  aggregator.recordReport('a1', ZONE_A, reportOf([1, 2]));
  aggregator.recordReport('b1', ZONE_B, reportOf([1, 2]));
  assert.deepEqual(unhealthyPorts(aggregator), [1, 2]);
  assert.deepEqual(aggregator.state().held, []);
  aggregator.close();
});
