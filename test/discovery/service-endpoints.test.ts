import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDiscoveryKinds, serviceEndpointsKind } from '../../discovery';
import { parseDocuments } from '../../config';
import { SERVICE_LINES, replaceLine, summarize, validateText, yaml, type DiagnosticSummary } from '../config/fixtures';

function check(lines: readonly string[]): DiagnosticSummary[] {
  return validateText(yaml(...lines), createDiscoveryKinds()).map(summarize);
}

describe('ServiceEndpoints validation', () => {
  test('accepts the valid document', () => {
    assert.deepEqual(check(SERVICE_LINES), []);
  });

  test('produces a Service', () => {
    const text = yaml(
      ...SERVICE_LINES,
      '      network: net-1',
      '      weight: 3',
      '      labels: { version: v1 }',
      '    - address: checkout.internal',
      '      port: 50052',
      '      cluster: edge-1',
    );
    const parsed = parseDocuments('s.yaml', text);
    const { set, diagnostics } = createDiscoveryKinds().validate({ files: ['s.yaml'], documents: parsed.documents, diagnostics: [] });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(set.of(serviceEndpointsKind)[0].value, {
      name: 'checkout.shop',
      port: 8080,
      protocol: 'grpc',
      endpoints: [
        {
          address: '10.0.0.1',
          port: 50051,
          locality: { region: 'eu-west', zone: 'eu-west-1a', subZone: '' },
          cluster: 'central-k8s',
          network: 'net-1',
          weight: 3,
          labels: { version: 'v1' },
        },
        { address: 'checkout.internal', port: 50052, cluster: 'edge-1', network: '', weight: 1, labels: {} },
      ],
    });
  });

  test('defaults the protocol to http', () => {
    const parsed = parseDocuments('s.yaml', yaml(...replaceLine(SERVICE_LINES, 7)));
    const { set } = createDiscoveryKinds().validate({ files: ['s.yaml'], documents: parsed.documents, diagnostics: [] });
    assert.equal(set.of(serviceEndpointsKind)[0].value.protocol, 'http');
  });

  test('maps subZone', () => {
    const parsed = parseDocuments('s.yaml', yaml(...replaceLine(SERVICE_LINES, 13, '        zone: eu-west-1a', '        subZone: rack-1')));
    const { set } = createDiscoveryKinds().validate({ files: ['s.yaml'], documents: parsed.documents, diagnostics: [] });
    assert.deepEqual(set.of(serviceEndpointsKind)[0].value.endpoints[0].locality, { region: 'eu-west', zone: 'eu-west-1a', subZone: 'rack-1' });
  });

  const cases: Array<{ name: string; lines: string[]; expected: DiagnosticSummary[] }> = [
    {
      name: 'port as a string',
      lines: replaceLine(SERVICE_LINES, 6, '  port: "8080"'),
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 6, column: 9, path: 'spec.port', message: 'expected an integer from 1 to 65535, got string "8080"' }],
    },
    {
      name: 'port out of range',
      lines: replaceLine(SERVICE_LINES, 10, '      port: 70000'),
      expected: [{ code: 'MERIDIAN_CONFIG_OUT_OF_RANGE', line: 10, column: 13, path: 'spec.endpoints[0].port', message: '70000 is out of range; expected an integer from 1 to 65535' }],
    },
    {
      name: 'unknown protocol',
      lines: replaceLine(SERVICE_LINES, 7, '  protocol: grcp'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_INVALID_VALUE',
          line: 7,
          column: 13,
          path: 'spec.protocol',
          message: 'invalid value "grcp"; did you mean "grpc"? (allowed values: http, grpc, tcp)',
        },
      ],
    },
    {
      name: 'misspelt region',
      lines: replaceLine(SERVICE_LINES, 12, '        regoin: eu-west'),
      expected: [
        { code: 'MERIDIAN_CONFIG_UNKNOWN_FIELD', line: 12, column: 9, path: 'spec.endpoints[0].locality.regoin', message: 'unknown field "regoin"; did you mean "region"?' },
        { code: 'MERIDIAN_CONFIG_MISSING_FIELD', line: 12, column: 9, path: 'spec.endpoints[0].locality.region', message: 'required field "region" is missing' },
      ],
    },
    {
      name: 'missing cluster',
      lines: replaceLine(SERVICE_LINES, 14),
      expected: [{ code: 'MERIDIAN_CONFIG_MISSING_FIELD', line: 9, column: 7, path: 'spec.endpoints[0].cluster', message: 'required field "cluster" is missing' }],
    },
    {
      name: 'invalid address',
      lines: replaceLine(SERVICE_LINES, 9, '    - address: not_an_address!'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_INVALID_VALUE',
          line: 9,
          column: 16,
          path: 'spec.endpoints[0].address',
          message: '"not_an_address!" is neither an IPv4 address, an IPv6 address nor a DNS name',
        },
      ],
    },
    {
      name: 'zero weight',
      lines: [...SERVICE_LINES, '      weight: 0'],
      expected: [{ code: 'MERIDIAN_CONFIG_OUT_OF_RANGE', line: 15, column: 15, path: 'spec.endpoints[0].weight', message: '0 is out of range; expected an integer from 1 to 4294967295' }],
    },
    {
      name: 'label value that is a number',
      lines: [...SERVICE_LINES, '      labels:', '        version: 2'],
      expected: [{ code: 'MERIDIAN_CONFIG_INVALID_TYPE', line: 16, column: 18, path: 'spec.endpoints[0].labels.version', message: 'expected a string, got number 2' }],
    },
    {
      name: 'empty endpoint list',
      lines: [...SERVICE_LINES.slice(0, 7), '  endpoints: []'],
      expected: [{ code: 'MERIDIAN_CONFIG_EMPTY_LIST', line: 8, column: 14, path: 'spec.endpoints', message: 'the list is empty; at least one item is required' }],
    },
    {
      name: 'repeated endpoint',
      lines: [...SERVICE_LINES, '    - address: 10.0.0.1', '      port: 50051', '      cluster: other'],
      expected: [
        {
          code: 'MERIDIAN_CONFIG_DUPLICATE_ENDPOINT',
          line: 15,
          column: 16,
          path: 'spec.endpoints[1].address',
          message: 'endpoint 10.0.0.1:50051 is already listed as endpoints[0]',
        },
      ],
    },
    {
      name: 'weights above the uint32 sum',
      lines: [...SERVICE_LINES, '      weight: 4294967295', '    - address: 10.0.0.2', '      port: 50051', '      cluster: other', '      weight: 1'],
      expected: [
        {
          code: 'MERIDIAN_CONFIG_OUT_OF_RANGE',
          line: 9,
          column: 5,
          path: 'spec.endpoints',
          message: 'the endpoint weights add up to 4294967296; the sum may be at most 4294967295',
        },
      ],
    },
    {
      name: 'TrafficPolicy without its kind registered',
      lines: replaceLine(SERVICE_LINES, 2, 'kind: TrafficPolicy'),
      expected: [
        {
          code: 'MERIDIAN_CONFIG_UNKNOWN_KIND',
          line: 2,
          column: 7,
          path: 'kind',
          message: 'unknown kind "TrafficPolicy" (known kinds: ServiceEndpoints)',
        },
      ],
    },
  ];

  for (const testCase of cases) {
    test(`reports ${testCase.name}`, () => {
      assert.deepEqual(check(testCase.lines), testCase.expected);
    });
  }

  test('collects every error of a file', () => {
    const lines = replaceLine(replaceLine(replaceLine(SERVICE_LINES, 14), 10, '      port: 0'), 6, '  port: high');
    const found = check(lines);
    assert.deepEqual(
      found.map((diagnostic) => [diagnostic.code, diagnostic.path]),
      [
        ['MERIDIAN_CONFIG_INVALID_TYPE', 'spec.port'],
        ['MERIDIAN_CONFIG_MISSING_FIELD', 'spec.endpoints[0].cluster'],
        ['MERIDIAN_CONFIG_OUT_OF_RANGE', 'spec.endpoints[0].port'],
      ],
    );
  });
});
