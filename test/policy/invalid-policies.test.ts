import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createConfigKinds } from '../../policy';
import { validateText } from '../config/fixtures';
import { POLICY_LINES, withServices } from './policy-documents';

/** Returns code, severity, line, path, value and message of each diagnostic of the policy with `specLines` added to its spec. */
function check(specLines: readonly string[]) {
  const diagnostics = validateText(withServices([...POLICY_LINES, ...specLines]), createConfigKinds());
  return diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, path: d.path, value: d.value, message: d.message }));
}

// Lines 1 to 12 are POLICY_LINES, so the first added line is line 13.
const CASES: Array<{ name: string; lines: string[]; expected: ReturnType<typeof check> }> = [
  {
    name: "unknown subset in a route",
    lines: ["  subsets: [{ name: v1, labels: { version: v1 } }]","  routes:","    - { name: canary, subset: v3 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_UNKNOWN_SUBSET",
        "severity": "error",
        "line": 15,
        "path": "spec.routes[0].subset",
        "value": "v3",
        "message": "unknown subset \"v3\"; did you mean \"v1\"? (known subsets: v1)"
      }
    ],
  },
  {
    name: "split weights not adding up",
    lines: ["  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]","  routes:","    - name: canary","      split: [{ subset: v1, weight: 90 }, { subset: v2, weight: 5 }]"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_INVALID_WEIGHTS",
        "severity": "error",
        "line": 16,
        "path": "spec.routes[0].split",
        "value": [
          90,
          5
        ],
        "message": "the split weights add up to 95, not 100"
      }
    ],
  },
  {
    name: "subset matching no endpoint",
    lines: ["  subsets: [{ name: v9, labels: { version: v9 } }]"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_EMPTY_SUBSET",
        "severity": "warning",
        "line": 13,
        "path": "spec.subsets[0].labels",
        "value": {
          "version": "v9"
        },
        "message": "subset \"v9\" selects no endpoint of service \"checkout.shop\" (labels version=v9)"
      }
    ],
  },
  {
    name: "duplicate subset names",
    lines: ["  subsets: [{ name: v1, labels: { version: v1 } }, { name: v1, labels: { version: v2 } }]"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_DUPLICATE_SUBSET",
        "severity": "error",
        "line": 13,
        "path": "spec.subsets[1].name",
        "value": "v1",
        "message": "subset name \"v1\" is already used at [0]"
      }
    ],
  },
  {
    name: "duplicate route names",
    lines: ["  routes:","    - { name: a, match: { path: { prefix: /x } } }","    - { name: a, match: { path: { prefix: /y } } }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_DUPLICATE_ROUTE",
        "severity": "error",
        "line": 15,
        "path": "spec.routes[1].name",
        "value": "a",
        "message": "route name \"a\" is already used at [0]"
      }
    ],
  },
  {
    name: "lookahead regex",
    lines: ["  routes:","    - { name: a, match: { path: { regex: \"/(?=admin).*\" } } }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_INVALID_REGEX",
        "severity": "error",
        "line": 14,
        "path": "spec.routes[0].match.path.regex",
        "value": "/(?=admin).*",
        "message": "invalid RE2 regular expression \"/(?=admin).*\": Invalid regular expression: /\\/(?=admin).*/u: invalid perl operator: (?="
      }
    ],
  },
  {
    name: "invalid duration",
    lines: ["  timeout: 10 seconds"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_INVALID_DURATION",
        "severity": "error",
        "line": 13,
        "path": "spec.timeout",
        "value": "10 seconds",
        "message": "invalid duration \"10 seconds\""
      }
    ],
  },
  {
    name: "zero duration",
    lines: ["  timeout: 0s"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 13,
        "path": "spec.timeout",
        "value": "0s",
        "message": "duration \"0s\" is out of range; expected whole milliseconds from 1ms to 87660000h"
      }
    ],
  },
  {
    name: "percent above 100",
    lines: ["  fault:","    abort: { httpStatus: 503, percent: 120 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 14,
        "path": "spec.fault.abort.percent",
        "value": 120,
        "message": "120 is out of range; expected a number from 0 to 100"
      }
    ],
  },
  {
    name: "http status out of range",
    lines: ["  fault:","    abort: { httpStatus: 700, percent: 1 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 14,
        "path": "spec.fault.abort.httpStatus",
        "value": 700,
        "message": "700 is out of range; expected an integer from 200 to 599"
      }
    ],
  },
  {
    name: "both abort statuses",
    lines: ["  fault:","    abort: { httpStatus: 503, grpcStatus: 14, percent: 1 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_CONFLICTING_FIELDS",
        "severity": "error",
        "line": 14,
        "path": "spec.fault.abort.grpcStatus",
        "value": [
          "httpStatus",
          "grpcStatus"
        ],
        "message": "\"httpStatus\" and \"grpcStatus\" cannot both be set"
      }
    ],
  },
  {
    name: "unknown retry condition",
    lines: ["  retries: { retryOn: [5xx, unavailble] }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_INVALID_VALUE",
        "severity": "error",
        "line": 13,
        "path": "spec.retries.retryOn[1]",
        "value": "unavailble",
        "message": "invalid value \"unavailble\"; did you mean \"unavailable\"? (allowed values: 5xx, gateway-error, reset, reset-before-request, connect-failure, envoy-ratelimited, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable)"
      }
    ],
  },
  {
    name: "backoff max below base",
    lines: ["  retries: { retryOn: [5xx], backoff: { baseInterval: 1s, maxInterval: 100ms } }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 13,
        "path": "spec.retries.backoff.maxInterval",
        "value": "100ms",
        "message": "maxInterval is shorter than baseInterval"
      }
    ],
  },
  {
    name: "hashOn with round robin",
    lines: ["  loadBalancer: { algorithm: roundRobin, hashOn: [{ header: x-user }] }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_CONFLICTING_FIELDS",
        "severity": "error",
        "line": 13,
        "path": "spec.loadBalancer.hashOn",
        "value": "roundRobin",
        "message": "hashOn has no effect with algorithm \"roundRobin\""
      }
    ],
  },
  {
    name: "ring size above gRPC maximum",
    lines: ["  loadBalancer: { algorithm: ringHash, maximumRingSize: 9000000 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 13,
        "path": "spec.loadBalancer.maximumRingSize",
        "value": 9000000,
        "message": "9000000 is out of range; expected an integer from 1 to 8388608"
      }
    ],
  },
  {
    name: "outlier detection without detector",
    lines: ["  outlierDetection: { interval: 5s }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_MISSING_FIELD",
        "severity": "error",
        "line": 13,
        "path": "spec.outlierDetection",
        "value": undefined,
        "message": "no detector is set, so no endpoint would ever be ejected"
      }
    ],
  },
  {
    name: "max ejection percent above 100",
    lines: ["  outlierDetection: { consecutive5xx: 5, maxEjectionPercent: 150 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 13,
        "path": "spec.outlierDetection.maxEjectionPercent",
        "value": 150,
        "message": "150 is out of range; expected an integer from 0 to 100"
      }
    ],
  },
  {
    name: "overprovisioning factor 0",
    lines: ["    overprovisioningFactor: 0"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_OUT_OF_RANGE",
        "severity": "error",
        "line": 13,
        "path": "spec.localityLb.overprovisioningFactor",
        "value": 0,
        "message": "0 is out of range; expected an integer from 1 to 4294967295"
      }
    ],
  },
  {
    name: "distribute with failover",
    lines: ["    distribute:","      - from: eu-west","        to: { eu-west: 100 }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_CONFLICTING_FIELDS",
        "severity": "error",
        "line": 14,
        "path": "spec.localityLb.distribute",
        "value": [
          "failover",
          "distribute"
        ],
        "message": "\"failover\" and \"distribute\" cannot both be set"
      }
    ],
  },
  {
    name: "conflicting overrides",
    lines: ["  overrides:","    - { clients: { region: eu-west }, timeout: 1s }","    - { clients: { region: eu-west }, timeout: 2s }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_CONFLICTING_OVERRIDE",
        "severity": "error",
        "line": 15,
        "path": "spec.overrides[1].clients",
        "value": {
          "region": "eu-west",
          "metadata": {}
        },
        "message": "overrides[0] selects the same proxies and also sets timeout"
      }
    ],
  },
  {
    name: "override selecting every proxy",
    lines: ["  overrides:","    - { clients: { metadata: {} }, timeout: 1s }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_MISSING_FIELD",
        "severity": "error",
        "line": 14,
        "path": "spec.overrides[0].clients",
        "value": undefined,
        "message": "the selector selects every proxy"
      }
    ],
  },
  {
    name: "unknown failover priority key",
    lines: ["    failoverPriority: [cluster, zone]"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_INVALID_VALUE",
        "severity": "error",
        "line": 13,
        "path": "spec.localityLb.failoverPriority[1]",
        "value": "zone",
        "message": "invalid failover priority key \"zone\""
      }
    ],
  },
  {
    name: "override of a region without endpoints or rules",
    lines: ["  overrides:","    - { clients: { region: us-west }, timeout: 1s }"],
    expected: [
      {
        "code": "MERIDIAN_CONFIG_UNMATCHED_OVERRIDE",
        "severity": "warning",
        "line": 14,
        "path": "spec.overrides[0].clients.region",
        "value": "us-west",
        "message": "override selects region \"us-west\", where no endpoint of any service runs and no failover or distribute rule starts"
      }
    ],
  },
];

describe('invalid TrafficPolicy table', () => {
  for (const { name, lines, expected } of CASES) {
    test(name, () => {
      assert.deepEqual(check(lines), expected);
    });
  }
});

test('second policy for a service is an error', () => {
  const second = ['---', ...POLICY_LINES.slice(0, 3), '  name: checkout-edge', ...POLICY_LINES.slice(4, 6), '  hostnames: [checkout-edge]'];
  const diagnostics = check(second).filter((diagnostic) => diagnostic.code === 'MERIDIAN_CONFIG_CONFLICTING_POLICY');
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0].path, 'spec.service');
  assert.match(diagnostics[0].message, /^service "checkout.shop" already has TrafficPolicy "checkout" \(meridian.yaml:1:1\)$/);
});

test('distribute percentages must add up to 100', () => {
  const lines = [...POLICY_LINES.slice(0, 9), '    distribute:', '      - from: eu-west', '        to: { eu-west: 70, eu-central: 20 }'];
  const diagnostics = validateText(withServices(lines), createConfigKinds());
  assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
  assert.equal(diagnostics[0].code, 'MERIDIAN_CONFIG_INVALID_WEIGHTS');
  assert.equal(diagnostics[0].path, 'spec.localityLb.distribute[0].to');
  assert.equal(diagnostics[0].message, 'the percentages add up to 90, not 100');
});
