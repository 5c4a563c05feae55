import { hasErrors, type Diagnostic } from './diagnostics';
import { nodeAtPath, positionOf, type ConfigDocument, type LoadedDocuments } from './documents';
import { createDiagnostic, type ConfigErrorCode } from './errors';
import { buildDocumentSchema } from './json-schema';
import { DNS_NAME_SCHEMA, checkDnsName } from './names';
import {
  ValidationContext,
  documentCursor,
  enumValue,
  fieldCursor,
  objectOf,
  optional,
  required,
  stringMap,
  stringValue,
  type Cursor,
  type JsonSchema,
  type ReportOptions,
} from './schema';
import { didYouMean, listKnown } from './suggest';

/** The only `apiVersion` that Meridian reads. */
export const API_VERSION = 'meridian.io/v1alpha1';

/** The fields every document has besides `spec`. */
export interface DocumentHeader {
  kind: string;
  /** `metadata.name`, a lowercase DNS name. */
  name: string;
  labels: Readonly<Record<string, string>>;
  document: ConfigDocument;
}

/**
 * One kind of document, registered by the folder that gives it meaning. `config/` reads the
 * header and hands `spec` to `validateSpec`.
 */
export interface KindDefinition<T> {
  readonly kind: string;
  /** Reads `spec`, reporting every problem through the cursor. Returns undefined when it is invalid. */
  validateSpec(spec: Cursor, header: DocumentHeader): T | undefined;
  /** JSON Schema of `spec`, generated from the readers that `validateSpec` uses. */
  readonly specSchema: JsonSchema;
}

/** A document whose header and spec are valid, with the value its kind made of it. */
export interface ValidatedDocument<T> {
  name: string;
  value: T;
  document: ConfigDocument;
}

/** The valid documents of one load, by kind, plus what is known about the invalid ones. */
export class DocumentSet {
  constructor(
    private readonly valid: ReadonlyMap<string, readonly ValidatedDocument<unknown>[]>,
    private readonly declared: ReadonlyMap<string, readonly string[]>,
    private readonly invalidKinds: ReadonlySet<string>,
    private readonly invalidDocuments: ReadonlyMap<string, readonly ConfigDocument[]>,
    private readonly unreadableFiles = false,
  ) {}

  /**
   * Returns false when a file could not be read or parsed, so that documents may be missing and a
   * reference to a name the set lacks may point into that file.
   */
  allFilesRead(): boolean {
    return !this.unreadableFiles;
  }

  /** Returns the valid documents of a kind in load order. */
  of<T>(definition: KindDefinition<T>): ValidatedDocument<T>[] {
    return [...((this.valid.get(definition.kind) ?? []) as readonly ValidatedDocument<T>[])];
  }

  /** Returns the names of every document of a kind that has a readable name, valid or not. */
  declaredNames(kind: string): string[] {
    return [...(this.declared.get(kind) ?? [])];
  }

  /**
   * Returns the documents of a kind whose header was readable but that had errors, so that checks
   * across documents can still look at the fields they need.
   */
  invalid(kind: string): ConfigDocument[] {
    return [...(this.invalidDocuments.get(kind) ?? [])];
  }

  /** Returns true when every document of the kind was valid, so that its absence of a value means something. */
  isComplete(kind: string): boolean {
    return !this.invalidKinds.has(kind);
  }
}

/** Reports a diagnostic at a field path of a document, for checks that span documents. */
export type SetReporter = (code: ConfigErrorCode, document: ConfigDocument, path: string, message: string, options?: ReportOptions) => void;

/** A check across the documents of a set, such as references from one kind to another. */
export type SetCheck = (set: DocumentSet, report: SetReporter) => void;

/** The outcome of validating a loaded document set. */
export interface ValidationResult {
  set: DocumentSet;
  diagnostics: Diagnostic[];
}

/**
 * The kinds Meridian reads, and the checks across them. `config/` defines no kind itself. The
 * owner of each kind registers it, so that `config/` never imports them.
 */
export class KindRegistry {
  private readonly definitions = new Map<string, KindDefinition<unknown>>();
  private readonly setChecks: SetCheck[] = [];
  /** Results of `validate` by document set, dropped when a kind or check is added. */
  private results = new WeakMap<LoadedDocuments, { set: DocumentSet; diagnostics: readonly Diagnostic[] }>();

  /** Adds a kind. Throws when the kind is already registered. */
  register<T>(definition: KindDefinition<T>): this {
    if (this.definitions.has(definition.kind)) {
      throw new Error(`kind "${definition.kind}" is already registered; register each kind once per registry`);
    }
    this.definitions.set(definition.kind, definition);
    this.results = new WeakMap();
    return this;
  }

  /** Adds a check that runs on the valid documents after each document was validated alone. */
  addSetCheck(check: SetCheck): this {
    this.setChecks.push(check);
    this.results = new WeakMap();
    return this;
  }

  /** Returns the registered kind names, sorted. */
  kinds(): string[] {
    return [...this.definitions.keys()].sort();
  }

  /** Returns the JSON Schema of one document of any registered kind, with `spec` chosen by `kind`. */
  jsonSchema(): JsonSchema {
    const specs = this.kinds().map((kind) => ({ kind, specSchema: (this.definitions.get(kind) as KindDefinition<unknown>).specSchema }));
    return buildDocumentSchema(API_VERSION, specs, readMetadata.schema ?? {});
  }

  /**
   * Validates every loaded document and then the set as a whole. The diagnostics include those
   * of loading, sorted by file and position.
   *
   * The result is kept per `loaded` object, so validating the same object again (a check before
   * an offer, or two readers of one load) returns it without validating again. Each call returns
   * a new diagnostics list of frozen diagnostics. The set's values are shared by every such call
   * and must not be changed.
   */
  validate(loaded: LoadedDocuments): ValidationResult {
    let result = this.results.get(loaded);
    if (result === undefined) {
      result = this.validateUncached(loaded);
      this.results.set(loaded, result);
    }
    return { set: result.set, diagnostics: [...result.diagnostics] };
  }

  private validateUncached(loaded: LoadedDocuments): { set: DocumentSet; diagnostics: readonly Diagnostic[] } {
    const diagnostics = [...loaded.diagnostics];
    const valid = new Map<string, ValidatedDocument<unknown>[]>();
    const declared = new Map<string, string[]>();
    const invalidKinds = new Set<string>();
    const invalidDocuments = new Map<string, ConfigDocument[]>();
    const namePositions = new Map<string, ConfigDocument>();

    for (const document of loaded.documents) {
      const context = new ValidationContext(document, diagnostics);
      const before = context.errorCount();
      const outcome = this.validateDocument(context, namePositions, declared);
      if (outcome !== undefined && context.errorCount() === before) {
        const list = valid.get(outcome.kind) ?? [];
        list.push({ name: outcome.name, value: outcome.value, document });
        valid.set(outcome.kind, list);
      } else if (outcome !== undefined) {
        invalidKinds.add(outcome.kind);
        invalidDocuments.set(outcome.kind, [...(invalidDocuments.get(outcome.kind) ?? []), document]);
      } else {
        for (const kind of this.definitions.keys()) invalidKinds.add(kind);
      }
    }

    // A file that could not be parsed may contain documents of any kind.
    const unreadableFiles = hasErrors(loaded.diagnostics);
    if (unreadableFiles) for (const kind of this.definitions.keys()) invalidKinds.add(kind);
    const set = new DocumentSet(valid, declared, invalidKinds, invalidDocuments, unreadableFiles);
    const report = setReporter(diagnostics);
    for (const check of this.setChecks) check(set, report);
    // Frozen copies, because every caller that validates the same set gets these objects.
    const sorted = sortByPosition(diagnostics, loaded.files).map((diagnostic) => Object.freeze({ ...diagnostic }));
    return { set, diagnostics: Object.freeze(sorted) };
  }

  private validateDocument(
    context: ValidationContext,
    namePositions: Map<string, ConfigDocument>,
    declared: Map<string, string[]>,
  ): { kind: string; name: string; value: unknown } | undefined {
    const root = documentCursor(context);
    const header = this.readHeader(root);
    if (header === undefined) return undefined;

    const names = declared.get(header.kind) ?? [];
    names.push(header.name);
    declared.set(header.kind, names);
    reportDuplicateName(context, root, header, namePositions);

    const definition = this.definitions.get(header.kind);
    if (definition === undefined) return undefined;
    // A missing spec is already reported by the header check.
    const spec = fieldCursor(root, 'spec');
    if (spec.node === null) return { kind: header.kind, name: header.name, value: undefined };
    const value = definition.validateSpec(spec, header);
    return { kind: header.kind, name: header.name, value };
  }

  private readHeader(root: Cursor): DocumentHeader | undefined {
    const known = this.kinds();
    const readHeader = objectOf<{ apiVersion: string; kind: string; metadata: Metadata; spec: unknown }>({
      apiVersion: required(readApiVersion),
      kind: required(readKind(known)),
      metadata: required(readMetadata),
      spec: required((cursor) => cursor.node),
    });
    const header = readHeader(root);
    if (header === undefined) return readableHeader(root, known);
    return { kind: header.kind, name: header.metadata.name, labels: header.metadata.labels ?? {}, document: root.context.document };
  }
}

interface Metadata {
  name: string;
  labels: Record<string, string> | undefined;
  annotations: Record<string, string> | undefined;
}

const readMetadata = objectOf<Metadata>({
  name: required(stringValue({ check: checkDnsName, checkFix: 'use a lowercase DNS name such as "checkout.shop"', schema: DNS_NAME_SCHEMA })),
  labels: optional(stringMap()),
  annotations: optional(stringMap()),
});

function readApiVersion(cursor: Cursor): string | undefined {
  const value = stringValue()(cursor);
  if (value === undefined) return undefined;
  if (value !== API_VERSION) {
    cursor.context.report('MERIDIAN_CONFIG_UNSUPPORTED_API_VERSION', cursor, `unsupported apiVersion "${value}"; expected "${API_VERSION}"`, {
      fix: `set apiVersion: ${API_VERSION}`,
    });
    return undefined;
  }
  return value;
}

function readKind(known: readonly string[]): (cursor: Cursor) => string | undefined {
  return (cursor) => {
    const value = stringValue()(cursor);
    if (value === undefined) return undefined;
    if (!known.includes(value)) {
      cursor.context.report('MERIDIAN_CONFIG_UNKNOWN_KIND', cursor, `unknown kind "${value}"${didYouMean(value, known)} (known kinds: ${listKnown(known)})`, {
        fix: `use one of the known kinds: ${listKnown(known)}`,
      });
      return undefined;
    }
    return value;
  };
}

/**
 * Returns the kind and name of a document whose header is invalid (for example a wrong
 * `apiVersion`) when these two are readable. The spec is then still checked, and references to
 * the document are not reported as unknown. Reports nothing, because `objectOf` already did.
 */
function readableHeader(root: Cursor, known: readonly string[]): DocumentHeader | undefined {
  const probe = new ValidationContext(root.context.document);
  const probeRoot = documentCursor(probe);
  const kind = enumValue(known)(fieldCursor(probeRoot, 'kind'));
  const name = stringValue({ check: checkDnsName })(fieldCursor(fieldCursor(probeRoot, 'metadata'), 'name'));
  if (kind === undefined || name === undefined) return undefined;
  return { kind, name, labels: {}, document: root.context.document };
}

function reportDuplicateName(context: ValidationContext, root: Cursor, header: DocumentHeader, namePositions: Map<string, ConfigDocument>): void {
  const key = `${header.kind}/${header.name}`;
  const first = namePositions.get(key);
  if (first === undefined) {
    namePositions.set(key, context.document);
    return;
  }
  const firstPosition = positionOf(first, nodeAtPath(first, 'metadata.name'));
  const cursor = fieldCursor(fieldCursor(root, 'metadata'), 'name');
  context.report(
    'MERIDIAN_CONFIG_DUPLICATE_NAME',
    cursor,
    `duplicate ${header.kind} name "${header.name}"; ${first.file}:${firstPosition.line}:${firstPosition.column} already defines it`,
  );
}

function setReporter(diagnostics: Diagnostic[]): SetReporter {
  return (code, document, path, message, options = {}) => {
    const position = positionOf(document, nodeAtPath(document, path));
    diagnostics.push(
      createDiagnostic(code, {
        file: document.file,
        line: position.line,
        column: position.column,
        path,
        value: options.value,
        message,
        fix: options.fix,
        severity: options.severity,
      }),
    );
  };
}

/** Sorts diagnostics by file in load order, then by position. Paths that are not files (an empty folder) come first. */
function sortByPosition(diagnostics: Diagnostic[], files: readonly string[]): Diagnostic[] {
  const order = new Map(files.map((file, index) => [file, index]));
  const rank = (diagnostic: Diagnostic): number => order.get(diagnostic.file) ?? -1;
  return [...diagnostics].sort((a, b) => rank(a) - rank(b) || a.line - b.line || a.column - b.column);
}
