import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createConfigKinds } from '../../policy';
import { validateText } from '../config/fixtures';
import { POLICY_LINES, withServices } from './policy-documents';

/** POLICY_LINES up to `localityLb:` (line 8), so that cases add their own locality settings from line 9 on. */
const HEAD = POLICY_LINES.slice(0, 8);

function check(lines: readonly string[]) {
  return validateText(withServices(lines), createConfigKinds()).map((d) => ({
    code: d.code,
    severity: d.severity,
    line: d.line,
    column: d.column,
    path: d.path,
    value: d.value,
    message: d.message,
    fix: d.fix,
  }));
}

// The services of withServices run in eu-west/eu-west-1a, eu-central and us-east.
const CASES: Array<{ name: string; lines: string[]; expected: ReturnType<typeof check> }> = [
  {
    name: 'distribute pattern matching no endpoint',
    lines: [...HEAD, '    distribute:', '      - from: eu-west', '        to: { eu-west: 80, eu-wset/*: 20 }'],
    expected: [
      {
        code: 'MERIDIAN_CONFIG_UNMATCHED_LOCALITY',
        severity: 'warning',
        line: 11,
        // The position is the pattern's percentage, the value node at the path.
        column: 39,
        path: 'spec.localityLb.distribute[0].to.eu-wset/*',
        value: 'eu-wset/*',
        message: 'locality pattern "eu-wset/*" matches no endpoint of service "checkout.shop", so its 20% goes to the rule\'s other patterns',
        fix: 'correct the pattern; the localities of "checkout.shop" are eu-central, eu-west/eu-west-1a, us-east',
      },
    ],
  },
  {
    name: 'distribute zone pattern matching no zone',
    lines: [...HEAD, '    distribute:', '      - from: eu-west/*', '        to: { eu-west/eu-west-1b: 100 }'],
    expected: [
      {
        code: 'MERIDIAN_CONFIG_UNMATCHED_LOCALITY',
        severity: 'warning',
        line: 11,
        column: 35,
        path: 'spec.localityLb.distribute[0].to.eu-west/eu-west-1b',
        value: 'eu-west/eu-west-1b',
        message: 'locality pattern "eu-west/eu-west-1b" matches no endpoint of service "checkout.shop", so its 100% goes to the rule\'s other patterns',
        fix: 'correct the pattern; the localities of "checkout.shop" are eu-central, eu-west/eu-west-1a, us-east',
      },
    ],
  },
  {
    name: 'distribute patterns that all match',
    lines: [...HEAD, '    distribute:', '      - from: edge', '        to: { eu-west/*: 50, eu-central: 25, "*": 25 }'],
    expected: [],
  },
  {
    name: 'override of an unknown region',
    lines: [...POLICY_LINES, '  overrides:', '    - clients: { region: eu-wst }', '      timeout: 1s'],
    expected: [
      {
        code: 'MERIDIAN_CONFIG_UNMATCHED_OVERRIDE',
        severity: 'warning',
        line: 14,
        column: 26,
        path: 'spec.overrides[0].clients.region',
        value: 'eu-wst',
        message: 'override selects region "eu-wst", where no endpoint of any service runs and no failover or distribute rule starts',
        fix: 'correct the region (known regions: eu-central, eu-west, us-east); ignore this when clients run in "eu-wst" without endpoints or rules',
      },
    ],
  },
  {
    name: 'override of a failover source region',
    lines: [...HEAD, '    failover: [{ from: edge-tokyo, to: [eu-west] }]', '  overrides:', '    - clients: { region: edge-tokyo }', '      timeout: 1s'],
    // Only the failover rule's own warning remains: no endpoint runs in edge-tokyo, but clients may.
    expected: [
      {
        code: 'MERIDIAN_CONFIG_UNKNOWN_REGION',
        severity: 'warning',
        line: 9,
        column: 24,
        path: 'spec.localityLb.failover[0].from',
        value: 'edge-tokyo',
        message: 'unknown region "edge-tokyo" (known regions: eu-central, eu-west, us-east); no endpoint runs there',
        fix: 'ignore this when clients run in a region without endpoints; otherwise correct the region',
      },
    ],
  },
  {
    name: 'override of a distribute source region',
    lines: [...HEAD, '    distribute: [{ from: edge-paris/p1, to: { eu-west: 100 } }]', '  overrides:', '    - clients: { region: edge-paris, zone: p1 }', '      timeout: 1s'],
    expected: [],
  },
  {
    name: 'override by cluster only',
    lines: [...POLICY_LINES, '  overrides:', '    - clients: { cluster: nowhere }', '      timeout: 1s'],
    expected: [],
  },
];

describe('locality reference warnings', () => {
  for (const { name, lines, expected } of CASES) {
    test(name, () => {
      assert.deepEqual(check(lines), expected);
    });
  }

  test('warnings keep the policy valid', () => {
    const diagnostics = check([...POLICY_LINES, '  overrides:', '    - clients: { region: eu-wst }', '      timeout: 1s']);
    assert.equal(diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length, 0);
  });

  test('invalid services skip the checks', () => {
    const text = withServices([...POLICY_LINES, '  overrides:', '    - clients: { region: eu-wst }', '      timeout: 1s']).replace('port: 8080', 'port: 0');
    const diagnostics = validateText(text, createConfigKinds());
    assert.ok(diagnostics.some((diagnostic) => diagnostic.severity === 'error'));
    assert.ok(!diagnostics.some((diagnostic) => diagnostic.code === 'MERIDIAN_CONFIG_UNMATCHED_OVERRIDE'));
  });
});
