import type { Diagnostic, Severity } from './diagnostics';

/** One entry of the error catalogue: the default severity, what the code means, and the usual fix. */
export interface CatalogueEntry {
  severity: Severity;
  summary: string;
  fix: string;
}

/**
 * Every diagnostic code that configuration loading and validation can report. Codes are stable:
 * scripts and dashboards match on them. `docs/errors.md` lists the same codes, and a test keeps
 * the two in step.
 */
export const CONFIG_ERRORS = {
  MERIDIAN_CONFIG_FILE_UNREADABLE: {
    severity: 'error',
    summary: 'A configuration path does not exist or cannot be read.',
    fix: 'check the path and its permissions',
  },
  MERIDIAN_CONFIG_NO_FILES: {
    severity: 'warning',
    summary: 'A configuration folder contains no `.yaml` or `.yml` file.',
    fix: 'add configuration files to the folder, or pass the right folder',
  },
  MERIDIAN_CONFIG_YAML_SYNTAX: {
    severity: 'error',
    summary: 'The file is not valid YAML.',
    fix: 'correct the YAML syntax at the reported position',
  },
  MERIDIAN_CONFIG_DUPLICATE_KEY: {
    severity: 'error',
    summary: 'A mapping has the same key twice, so one of the values would be lost.',
    fix: 'remove or rename one of the two keys',
  },
  MERIDIAN_CONFIG_UNSUPPORTED_API_VERSION: {
    severity: 'error',
    summary: 'The `apiVersion` of a document is not `meridian.io/v1alpha1`.',
    fix: 'set `apiVersion: meridian.io/v1alpha1`',
  },
  MERIDIAN_CONFIG_UNKNOWN_KIND: {
    severity: 'error',
    summary: 'The `kind` of a document is not one Meridian knows.',
    fix: 'use one of the kinds listed in the message',
  },
  MERIDIAN_CONFIG_MISSING_FIELD: {
    severity: 'error',
    summary: 'A required field is absent.',
    fix: 'add the field; docs/configuration.md describes it',
  },
  MERIDIAN_CONFIG_UNKNOWN_FIELD: {
    severity: 'error',
    summary: 'A field is not part of the format, often because of a typo.',
    fix: 'remove the field or correct its name',
  },
  MERIDIAN_CONFIG_INVALID_TYPE: {
    severity: 'error',
    summary: 'A value has the wrong type, for example a string where a number is expected.',
    fix: 'write a value of the expected type; quote strings that YAML would read as numbers or booleans',
  },
  MERIDIAN_CONFIG_INVALID_VALUE: {
    severity: 'error',
    summary: 'A value has the right type but is not allowed: not one of the listed choices, or not a valid name or address.',
    fix: 'use one of the allowed values named in the message',
  },
  MERIDIAN_CONFIG_OUT_OF_RANGE: {
    severity: 'error',
    summary: 'A number is outside its allowed range.',
    fix: 'use a number inside the range named in the message',
  },
  MERIDIAN_CONFIG_EMPTY_LIST: {
    severity: 'error',
    summary: 'A list that needs at least one item is empty.',
    fix: 'add at least one item',
  },
  MERIDIAN_CONFIG_DUPLICATE_NAME: {
    severity: 'error',
    summary: 'Two documents of the same kind have the same `metadata.name`.',
    fix: 'rename or remove one of the two documents',
  },
  MERIDIAN_CONFIG_DUPLICATE_ENDPOINT: {
    severity: 'error',
    summary: 'A service lists the same address and port twice.',
    fix: 'remove one of the two endpoints, or raise the weight of the remaining one',
  },
  MERIDIAN_CONFIG_UNKNOWN_REFERENCE: {
    severity: 'error',
    summary: 'A document names another document that does not exist, such as a TrafficPolicy whose `spec.service` names no ServiceEndpoints document.',
    fix: 'correct the name, or add the document it refers to',
  },
  MERIDIAN_CONFIG_UNKNOWN_REGION: {
    severity: 'error',
    summary: 'A failover rule names a region where no endpoint of any service runs.',
    fix: 'use one of the regions listed in the message, or add endpoints in that region',
  },
  MERIDIAN_CONFIG_DUPLICATE_FAILOVER_SOURCE: {
    severity: 'error',
    summary: 'Two failover rules of one policy have the same `from` region.',
    fix: 'merge the two rules into one',
  },
  MERIDIAN_CONFIG_DUPLICATE_FAILOVER_TARGET: {
    severity: 'error',
    summary: 'A region appears twice in the `to` list of one failover rule.',
    fix: 'keep the region once, at the position of its priority',
  },
  MERIDIAN_CONFIG_FAILOVER_TO_SELF: {
    severity: 'error',
    summary: 'A failover rule lists its own `from` region in `to`; clients always try their own region first.',
    fix: 'remove the `from` region from the `to` list',
  },
  MERIDIAN_CONFIG_INVALID_HOSTNAME: {
    severity: 'error',
    summary: 'A hostname is not a valid DNS name.',
    fix: 'use lowercase letters, digits, `-` and `.`, with labels of 1 to 63 characters',
  },
  MERIDIAN_CONFIG_DUPLICATE_HOSTNAME: {
    severity: 'error',
    summary: 'A hostname is claimed by two policies, or twice by one.',
    fix: 'keep each hostname in exactly one policy',
  },
  MERIDIAN_CONFIG_NOT_A_POLICY: {
    severity: 'error',
    summary: 'A document sent to `meridian apply` or `meridian diff --server` is not a TrafficPolicy; services come from discovery sources and cannot be applied.',
    fix: 'send only TrafficPolicy documents, and change ServiceEndpoints documents in the watched folder',
  },
  MERIDIAN_CONFIG_INVALID_DURATION: {
    severity: 'error',
    summary: 'A duration is not a number followed by a unit.',
    fix: 'write a duration such as `250ms`, `1.5s`, `2m` or `1h30m`',
  },
  MERIDIAN_CONFIG_INVALID_REGEX: {
    severity: 'error',
    summary: 'A regular expression is not valid RE2, the engine of Envoy and gRPC clients (no lookaround, no backreferences).',
    fix: 'rewrite the expression in RE2 syntax',
  },
  MERIDIAN_CONFIG_CONFLICTING_FIELDS: {
    severity: 'error',
    summary: 'Two fields that exclude each other are both set, or a field has no effect with the value of another.',
    fix: 'keep one of the two fields named in the message',
  },
  MERIDIAN_CONFIG_INVALID_WEIGHTS: {
    severity: 'error',
    summary: 'The weights of a split, or the percentages of a distribute rule, do not add up to 100.',
    fix: 'change the weights so that they add up to 100',
  },
  MERIDIAN_CONFIG_DUPLICATE_SUBSET: {
    severity: 'error',
    summary: 'Two subsets of a policy have the same name, or a split lists a subset twice.',
    fix: 'rename one of the subsets, or merge the two split entries',
  },
  MERIDIAN_CONFIG_DUPLICATE_ROUTE: {
    severity: 'error',
    summary: 'Two routes of a policy have the same name.',
    fix: 'rename one of the two routes',
  },
  MERIDIAN_CONFIG_UNKNOWN_SUBSET: {
    severity: 'error',
    summary: 'A route names a subset that the policy does not define in `spec.subsets`.',
    fix: 'correct the name, or add the subset',
  },
  MERIDIAN_CONFIG_EMPTY_SUBSET: {
    severity: 'warning',
    summary: 'The labels of a subset match no endpoint of the service, so requests routed to it fail.',
    fix: 'correct the labels, or add endpoints with these labels before routing to the subset',
  },
  MERIDIAN_CONFIG_UNMATCHED_LOCALITY: {
    severity: 'warning',
    summary: "A locality pattern in `to` of a distribute rule matches no endpoint of the service, so its percentage goes to the rule's other patterns.",
    fix: 'correct the pattern, or add endpoints in a locality that it matches',
  },
  MERIDIAN_CONFIG_UNMATCHED_OVERRIDE: {
    severity: 'warning',
    summary: 'An override selects a region where no endpoint of any service runs and no failover or distribute rule starts, so it probably selects no proxy.',
    fix: 'correct the region; ignore the warning when clients run in a region without endpoints or rules',
  },
  MERIDIAN_CONFIG_CONFLICTING_POLICY: {
    severity: 'error',
    summary: 'Two TrafficPolicy documents are for the same service, so neither would be a clear winner.',
    fix: 'merge the two policies; use `spec.overrides` for settings of some proxies only',
  },
  MERIDIAN_CONFIG_CONFLICTING_OVERRIDE: {
    severity: 'error',
    summary: 'Two overrides of a policy select the same proxies and set the same field.',
    fix: 'merge the two overrides, or make one selector more specific',
  },
  MERIDIAN_DISCOVERY_DUPLICATE_SERVICE: {
    severity: 'error',
    summary: 'Two discovery sources define a service with the same name; the source listed first is used and the other is ignored.',
    fix: 'remove the service from one of the sources or rename it',
  },
} as const satisfies Record<string, CatalogueEntry>;

/** A code of the error catalogue. */
export type ConfigErrorCode = keyof typeof CONFIG_ERRORS;

/** Position and text of a diagnostic, beyond the catalogue's defaults. */
export interface DiagnosticDetails {
  file: string;
  line: number;
  column: number;
  path: string;
  value?: unknown;
  message: string;
  /** Replaces the catalogue's fix when the caller knows a more precise one. */
  fix?: string;
  /** Replaces the catalogue's severity. */
  severity?: Severity;
}

/** Builds a diagnostic whose severity and fix default to the catalogue entry of `code`. */
export function createDiagnostic(code: ConfigErrorCode, details: DiagnosticDetails): Diagnostic {
  const entry: CatalogueEntry = CONFIG_ERRORS[code];
  return {
    code,
    severity: details.severity ?? entry.severity,
    file: details.file,
    line: details.line,
    column: details.column,
    path: details.path,
    value: details.value,
    message: details.message,
    fix: details.fix ?? entry.fix,
  };
}
