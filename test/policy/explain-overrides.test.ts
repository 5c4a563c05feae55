import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDocuments } from '../../config';
import { serviceEndpointsKind } from '../../discovery';
import { createConfigKinds, explainService, formatExplanation, trafficPolicyKind } from '../../policy';
import { locality, registryOf } from './fixtures';
import { POLICY_LINES, withServices } from './policy-documents';

/** The policy of POLICY_LINES with a timeout, outlier detection and three overrides (lines 13 on). */
const LINES = [
  ...POLICY_LINES,
  '  timeout: 2s', // 13
  '  outlierDetection: { consecutive5xx: 5, interval: 10s }', // 14
  '  overrides:', // 15
  '    - clients: { region: eu-west }', // 16
  '      timeout: 1s', // 17
  '      outlierDetection: { consecutive5xx: 2, interval: 1s, baseEjectionTime: 5s }', // 18
  '    - clients: { region: eu-west, cluster: c1 }', // 19
  '      timeout: 500ms', // 20
  '    - clients: { metadata: { tier: edge } }', // 21
  '      retries: { retryOn: [unavailable], attempts: 3 }', // 22
];

function load(lines: readonly string[]) {
  const parsed = parseDocuments('p.yaml', withServices(lines));
  const { set, diagnostics } = createConfigKinds().validate({ files: ['p.yaml'], documents: parsed.documents, diagnostics: parsed.diagnostics });
  assert.deepEqual(diagnostics.filter((diagnostic) => diagnostic.severity === 'error'), []);
  const registry = registryOf(set.of(serviceEndpointsKind).map((entry) => entry.value));
  return { registry, policies: set.of(trafficPolicyKind).map((entry) => entry.value) };
}

describe('explain overrides', () => {
  const { registry, policies } = load(LINES);

  test('region override changes timeout and ejection', () => {
    const explanation = explainService(registry, policies, 'checkout', locality('eu-west', 'eu-west-1a'), 'envoy');
    assert.ok(explanation?.overrides);
    assert.equal(explanation.overrides.defined, 3);
    assert.deepEqual(explanation.overrides.applied, [
      {
        index: 0,
        source: { file: 'p.yaml', line: 16, column: 7 },
        selector: 'region=eu-west',
        settings: [
          { setting: 'timeout', value: '1s' },
          { setting: 'outlierDetection', value: '{interval=1s, baseEjectionTime=5s, maxEjectionPercent=10, consecutive5xx=2}' },
        ],
      },
    ]);
    assert.deepEqual(explanation.overrides.changes, [
      { setting: 'timeout', policyValue: '2s', effectiveValue: '1s', override: 0 },
      {
        setting: 'outlierDetection',
        policyValue: '{interval=10s, baseEjectionTime=30s, maxEjectionPercent=10, consecutive5xx=5}',
        effectiveValue: '{interval=1s, baseEjectionTime=5s, maxEjectionPercent=10, consecutive5xx=2}',
        override: 0,
      },
    ]);
  });

  test('more specific override replaces a setting', () => {
    const explanation = explainService(registry, policies, 'checkout', locality('eu-west', 'eu-west-1a'), 'envoy', { cluster: 'c1' });
    assert.ok(explanation?.overrides);
    assert.deepEqual(explanation.overrides.applied.map((override) => override.index), [0, 1]);
    assert.deepEqual(explanation.overrides.applied[0].settings[0], { setting: 'timeout', value: '1s', replacedBy: 1 });
    assert.deepEqual(explanation.overrides.applied[1].settings, [{ setting: 'timeout', value: '500ms' }]);
    assert.deepEqual(explanation.overrides.changes[0], { setting: 'timeout', policyValue: '2s', effectiveValue: '500ms', override: 1 });
  });

  test('metadata override selects by group labels', () => {
    const explanation = explainService(registry, policies, 'checkout', locality('us-east'), 'grpc', { labels: { tier: 'edge' } });
    assert.ok(explanation?.overrides);
    assert.deepEqual(explanation.overrides.applied.map((override) => override.selector), ['metadata.tier=edge']);
    assert.deepEqual(explanation.overrides.changes, [
      { setting: 'retries', policyValue: '(not set)', effectiveValue: '{retryOn=[unavailable], attempts=3}', override: 2 },
    ]);
  });

  test('effective values match the served cluster', () => {
    const edge = explainService(registry, policies, 'checkout', locality('eu-west', 'eu-west-1a'), 'envoy');
    const other = explainService(registry, policies, 'checkout', locality('us-east'), 'envoy');
    assert.ok(edge && other);
    // Both have outlier detection, from the override and from the policy.
    assert.equal(edge.outlierDetection, true);
    assert.equal(other.outlierDetection, true);
    assert.deepEqual(other.overrides?.applied, []);
    assert.deepEqual(other.overrides?.changes, []);
  });

  test('text lists overrides and changes', () => {
    const explanation = explainService(registry, policies, 'checkout', locality('eu-west', 'eu-west-1a'), 'envoy', { cluster: 'c1', labels: { tier: 'edge' } });
    assert.ok(explanation);
    const lines = formatExplanation(explanation).split('\n');
    assert.equal(lines[0], 'Service checkout.shop for envoy clients in eu-west/eu-west-1a, cluster c1, labels tier=edge');
    const start = lines.indexOf('Overrides that select this group, in the order they apply:');
    assert.ok(start > 0, lines.join('\n'));
    assert.deepEqual(lines.slice(start + 1, start + 9), [
      '  - overrides[0] (p.yaml:16:7) selects region=eu-west: sets timeout (replaced by overrides[1]), outlierDetection',
      '  - overrides[2] (p.yaml:21:7) selects metadata.tier=edge: sets retries',
      '  - overrides[1] (p.yaml:19:7) selects region=eu-west, cluster=c1: sets timeout',
      'Effective values changed by overrides:',
      '  - timeout: 2s -> 500ms (overrides[1])',
      '  - retries: (not set) -> {retryOn=[unavailable], attempts=3} (overrides[2])',
      '  - outlierDetection: {interval=10s, baseEjectionTime=30s, maxEjectionPercent=10, consecutive5xx=5} -> {interval=1s, baseEjectionTime=5s, maxEjectionPercent=10, consecutive5xx=2} (overrides[0])',
      'Warnings:',
    ]);
  });

  test('no selecting override is stated', () => {
    const explanation = explainService(registry, policies, 'checkout', locality('us-east'), 'envoy');
    assert.ok(explanation);
    assert.ok(formatExplanation(explanation).includes("Overrides: none of the policy's 3 override(s) selects this group."));
  });

  test('policy without overrides says so', () => {
    const plain = load(POLICY_LINES);
    const explanation = explainService(plain.registry, plain.policies, 'checkout', locality('eu-west'), 'envoy');
    assert.ok(explanation);
    assert.ok(formatExplanation(explanation).includes('Overrides: the policy defines none.'));
  });
});
