import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDocuments } from '../../config';
import { createConfigKinds, trafficPolicyKind } from '../../policy';
import { replaceLine, summarize, validateText, yaml, type DiagnosticSummary } from '../config/fixtures';
import { POLICY_LINES, withServices } from './policy-documents';

function check(policyLines: readonly string[]): Array<DiagnosticSummary & { severity: string }> {
  return validateText(withServices(policyLines), createConfigKinds()).map((diagnostic) => ({ ...summarize(diagnostic), severity: diagnostic.severity }));
}

const KNOWN_REGIONS = '(known regions: eu-central, eu-west, us-east)';

describe('TrafficPolicy validation', () => {
  test('accepts the valid document', () => {
    assert.deepEqual(check(POLICY_LINES), []);
  });

  test('produces a TrafficPolicy', () => {
    const parsed = parseDocuments('p.yaml', withServices(POLICY_LINES));
    const { set } = createConfigKinds().validate({ files: ['p.yaml'], documents: parsed.documents, diagnostics: [] });
    assert.deepEqual(set.of(trafficPolicyKind)[0].value, {
      name: 'checkout',
      source: { file: 'p.yaml', line: 1, column: 1 },
      service: 'checkout.shop',
      hostnames: ['checkout', 'checkout.shop.svc.cluster.local'],
      localityLb: { enabled: true, failover: [{ from: 'eu-west', to: ['eu-central', 'us-east'] }], distribute: [], failoverPriority: [] },
      loadBalancer: { algorithm: 'roundRobin', hashOn: [] },
      subsets: [],
      routes: [],
      overrides: [],
    });
  });

  test('defaults localityLb', () => {
    const parsed = parseDocuments('p.yaml', withServices(POLICY_LINES.slice(0, 7)));
    const { set, diagnostics } = createConfigKinds().validate({ files: ['p.yaml'], documents: parsed.documents, diagnostics: [] });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(set.of(trafficPolicyKind)[0].value.localityLb, { enabled: true, failover: [], distribute: [], failoverPriority: [] });
  });

  const cases: Array<{ name: string; lines: string[]; expected: Array<DiagnosticSummary & { severity: string }> }> = [
    {
      name: 'unknown service',
      lines: replaceLine(POLICY_LINES, 6, '  service: checkout.shp'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNKNOWN_REFERENCE',
          severity: 'error',
          line: 6,
          column: 12,
          path: 'spec.service',
          message: 'unknown service "checkout.shp"; did you mean "checkout.shop"? (known services: checkout.shop)',
        },
      ],
    },
    {
      name: 'misspelt failover region',
      lines: replaceLine(POLICY_LINES, 12, '        to: [eu-cnetral, us-east]'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNKNOWN_REGION',
          severity: 'error',
          line: 12,
          column: 14,
          path: 'spec.localityLb.failover[0].to[0]',
          message: `unknown region "eu-cnetral"; did you mean "eu-central"? ${KNOWN_REGIONS}`,
        },
      ],
    },
    {
      name: 'from region without endpoints',
      lines: replaceLine(POLICY_LINES, 11, '      - from: ap-south'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNKNOWN_REGION',
          severity: 'warning',
          line: 11,
          column: 15,
          path: 'spec.localityLb.failover[0].from',
          message: `unknown region "ap-south" ${KNOWN_REGIONS}; no endpoint runs there`,
        },
      ],
    },
    {
      name: 'repeated from region',
      lines: [...POLICY_LINES, '      - from: eu-west', '        to: [us-east]'],
      expected: [
        {
          code: 'MERIDIAN_CONFIG_DUPLICATE_FAILOVER_SOURCE',
          severity: 'error',
          line: 13,
          column: 15,
          path: 'spec.localityLb.failover[1].from',
          message: 'region "eu-west" already has a failover rule at failover[0]',
        },
      ],
    },
    {
      name: 'region listed twice',
      lines: replaceLine(POLICY_LINES, 12, '        to: [eu-central, eu-central]'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_DUPLICATE_FAILOVER_TARGET',
          severity: 'error',
          line: 12,
          column: 26,
          path: 'spec.localityLb.failover[0].to[1]',
          message: 'region "eu-central" is already listed as to[0]',
        },
      ],
    },
    {
      name: 'failover to its own region',
      lines: replaceLine(POLICY_LINES, 12, '        to: [eu-central, eu-west]'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_FAILOVER_TO_SELF',
          severity: 'error',
          line: 12,
          column: 26,
          path: 'spec.localityLb.failover[0].to[1]',
          message: 'region "eu-west" is the rule\'s own "from" region; clients always try it first',
        },
      ],
    },
    {
      name: 'invalid hostname',
      lines: replaceLine(POLICY_LINES, 7, '  hostnames: [checkout, Check_Out]'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_INVALID_HOSTNAME',
          severity: 'error',
          line: 7,
          column: 25,
          path: 'spec.hostnames[1]',
          message: '"Check_Out" is not a valid DNS name; labels use lowercase letters, digits and "-", and start and end with a letter or digit',
        },
      ],
    },
    {
      name: 'hostname repeated in one policy',
      lines: replaceLine(POLICY_LINES, 7, '  hostnames: [checkout, checkout]'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_DUPLICATE_HOSTNAME',
          severity: 'error',
          line: 7,
          column: 25,
          path: 'spec.hostnames[1]',
          message: 'hostname "checkout" is already listed as hostnames[0]',
        },
      ],
    },
    {
      name: 'empty hostname list',
      lines: replaceLine(POLICY_LINES, 7, '  hostnames: []'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_EMPTY_LIST',
          severity: 'error',
          line: 7,
          column: 14,
          path: 'spec.hostnames',
          message: 'the list is empty; at least one item is required',
        },
      ],
    },
    {
      name: 'enabled as a string',
      lines: replaceLine(POLICY_LINES, 9, '    enabled: "yes"'),
      expected: [
        { code: 'MERIDIAN_CONFIG_INVALID_TYPE', severity: 'error', line: 9, column: 14, path: 'spec.localityLb.enabled', message: 'expected true or false, got string "yes"' },
      ],
    },
    {
      name: 'misspelt failover field',
      lines: replaceLine(POLICY_LINES, 10, '    failovr:'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNKNOWN_FIELD',
          severity: 'error',
          line: 10,
          column: 5,
          path: 'spec.localityLb.failovr',
          message: 'unknown field "failovr"; did you mean "failover"?',
        },
      ],
    },
  ];

  for (const testCase of cases) {
    test(`reports ${testCase.name}`, () => {
      assert.deepEqual(check(testCase.lines), testCase.expected);
    });
  }

  test('collects errors of an invalid policy', () => {
    const lines = replaceLine(replaceLine(replaceLine(POLICY_LINES, 12, '        to: [eu-central, eu-west]'), 7, '  hostnames: [Bad_Host]'), 6, '  service: checkout.shp');
    assert.deepEqual(
      check(lines).map((diagnostic) => diagnostic.code),
      ['MERIDIAN_CONFIG_UNKNOWN_REFERENCE', 'MERIDIAN_CONFIG_INVALID_HOSTNAME', 'MERIDIAN_CONFIG_FAILOVER_TO_SELF'],
    );
  });

  test('reports a hostname claimed by two policies', () => {
    const canary = replaceLine(replaceLine(POLICY_LINES, 4, '  name: checkout-canary'), 7, '  hostnames: [canary, checkout]');
    const text = `${yaml(...POLICY_LINES)}---\n${withServices(canary)}`;
    const found = validateText(text, createConfigKinds()).map(summarize);
    // Two policies for one service conflict as well, whatever their hostnames.
    assert.deepEqual(found, [
      {
        code: 'MERIDIAN_CONFIG_CONFLICTING_POLICY',
        line: 19,
        column: 12,
        path: 'spec.service',
        message: 'service "checkout.shop" already has TrafficPolicy "checkout" (meridian.yaml:1:1)',
      },
      {
        code: 'MERIDIAN_CONFIG_DUPLICATE_HOSTNAME',
        line: 20,
        column: 23,
        path: 'spec.hostnames[1]',
        message: 'hostname "checkout" is already claimed by TrafficPolicy "checkout" (meridian.yaml:1:1)',
      },
    ]);
  });

  test('skips region checks when a service is invalid', () => {
    const text = withServices(replaceLine(POLICY_LINES, 12, '        to: [eu-cnetral]')).replace('port: 8080', 'port: 0');
    assert.deepEqual(
      validateText(text, createConfigKinds()).map((diagnostic) => diagnostic.code),
      ['MERIDIAN_CONFIG_OUT_OF_RANGE'],
    );
  });
});
