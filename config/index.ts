export type { Diagnostic, Severity } from './diagnostics';
export { formatDiagnostic, formatDiagnosticForLog, formatDiagnostics, hasErrors } from './diagnostics';
export type { CatalogueEntry, ConfigErrorCode, DiagnosticDetails } from './errors';
export { CONFIG_ERRORS, createDiagnostic } from './errors';
export type { ConfigDocument, LoadedDocuments, LinePosition, ParsedDocuments } from './documents';
export { DocumentLoader, loadDocuments, parseDocuments, positionOf, nodeAtPath } from './documents';
export type { Cursor, Reader, FieldSpec, FieldSpecs, JsonSchema, ReportOptions, StringOptions, ListOptions } from './schema';
export {
  ValidationContext,
  documentCursor,
  fieldCursor,
  itemCursor,
  stringValue,
  integerValue,
  booleanValue,
  enumValue,
  stringMap,
  listOf,
  refine,
  objectOf,
  required,
  optional,
  withDefault,
  plainValue,
  describeValue,
  withSchema,
  withDescription,
  schemaOf,
} from './schema';
export { JSON_SCHEMA_DIALECT } from './json-schema';
export type { DocumentHeader, KindDefinition, ValidatedDocument, SetReporter, SetCheck, ValidationResult } from './kinds';
export { API_VERSION, DocumentSet, KindRegistry } from './kinds';
export { checkDnsName, DNS_NAME_SCHEMA } from './names';
export { editDistance, closestMatch, didYouMean, listKnown } from './suggest';
export type { ConfigWatcherOptions, ReloadListener } from './watcher';
export { ConfigWatcher, DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_DELAY_MS } from './watcher';
