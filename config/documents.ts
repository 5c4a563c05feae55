import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics';
import { createDiagnostic, type ConfigErrorCode } from './errors';

/**
 * One YAML document of a configuration file, with what is needed to report positions in it.
 * `DocumentLoader` hands the same object to every load while the file's text stays the same, so
 * neither it nor its `yaml` document may be changed.
 */
export interface ConfigDocument {
  /** The file as the caller named it (a folder's files are joined to the folder's path). */
  readonly file: string;
  /** 0-based position of the document in its file. */
  readonly index: number;
  readonly yaml: Document.Parsed;
  /** Maps offsets of the whole file to lines and columns. */
  readonly lineCounter: LineCounter;
}

/**
 * The result of reading configuration paths: every non-empty document and every problem found.
 * `KindRegistry.validate` keeps its result per object, so a set must not change once it is built.
 */
export interface LoadedDocuments {
  /** The files read, in load order. */
  readonly files: readonly string[];
  readonly documents: readonly ConfigDocument[];
  readonly diagnostics: readonly Diagnostic[];
  /** The text of each file read, by file, for callers that record what they validated. */
  readonly texts?: ReadonlyMap<string, string>;
}

/** The documents and YAML problems of one file's text. */
export interface ParsedDocuments {
  documents: ConfigDocument[];
  diagnostics: Diagnostic[];
}

/** A 1-based line and column. */
export interface LinePosition {
  line: number;
  column: number;
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/**
 * Reads files and folders into YAML documents. A folder contributes its `*.yaml` and `*.yml`
 * files (not those of sub-folders) sorted by name. Unreadable paths and YAML syntax errors become
 * diagnostics. The documents of a file with syntax errors are dropped, so that nothing half-read
 * is validated. Use a `DocumentLoader` to read the same paths again after an edit.
 */
export async function loadDocuments(paths: readonly string[]): Promise<LoadedDocuments> {
  return new DocumentLoader().load(paths);
}

/** The parse of one file's text, kept for the next load. */
interface ParsedFile {
  text: string;
  documents: readonly ConfigDocument[];
  diagnostics: readonly Diagnostic[];
}

/**
 * Reads configuration paths as `loadDocuments` does, for callers that read the same paths after
 * each edit. A file whose text is the same as at the previous load is not parsed again: its
 * documents and YAML problems are reused. A load that finds the same files, texts and problems as
 * the previous one returns the previous `LoadedDocuments` object itself, so that results kept per
 * object, such as those of `KindRegistry.validate`, are reused too. Only the files of the last
 * load are kept.
 *
 * Loads run one at a time, in the order they were requested, so that each one reuses what the
 * previous one parsed, and loads resolve in the order they were requested.
 */
export class DocumentLoader {
  private lastFiles = new Map<string, ParsedFile>();
  private previous: LoadedDocuments | undefined;
  private parseCount = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** Number of files this loader has parsed. A file reused from the previous load does not count. */
  get filesParsed(): number {
    return this.parseCount;
  }

  /** Reads the paths after the load in progress, parsing only the files whose text changed since the previous load. */
  load(paths: readonly string[]): Promise<LoadedDocuments> {
    const run = this.queue.then(() => this.read(paths));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(paths: readonly string[]): Promise<LoadedDocuments> {
    const files: string[] = [];
    const documents: ConfigDocument[] = [];
    const diagnostics: Diagnostic[] = [];
    const texts = new Map<string, string>();
    const parsedFiles = new Map<string, ParsedFile>();
    for (const configPath of paths) {
      for (const file of await listConfigFiles(configPath, diagnostics)) {
        let text: string;
        try {
          text = await fs.readFile(file, 'utf8');
        } catch (error) {
          diagnostics.push(unreadable(file, error));
          continue;
        }
        const parsed = this.parse(file, text);
        parsedFiles.set(file, parsed);
        files.push(file);
        texts.set(file, text);
        documents.push(...parsed.documents);
        diagnostics.push(...parsed.diagnostics);
      }
    }

    this.lastFiles = parsedFiles;
    const loaded: LoadedDocuments = Object.freeze({
      files: Object.freeze(files),
      documents: Object.freeze(documents),
      diagnostics: Object.freeze(diagnostics.map(freezeDiagnostic)),
      texts,
    });
    if (this.previous !== undefined && sameLoad(this.previous, loaded)) return this.previous;
    this.previous = loaded;
    return loaded;
  }

  private parse(file: string, text: string): ParsedFile {
    const cached = this.lastFiles.get(file);
    if (cached !== undefined && cached.text === text) return cached;
    this.parseCount++;
    const parsed = parseDocuments(file, text);
    return { text, documents: Object.freeze(parsed.documents), diagnostics: Object.freeze(parsed.diagnostics.map(freezeDiagnostic)) };
  }
}

/** True when two loads read the same files with the same texts and found the same problems. */
function sameLoad(a: LoadedDocuments, b: LoadedDocuments): boolean {
  if (a.files.length !== b.files.length || a.diagnostics.length !== b.diagnostics.length) return false;
  const sameFiles = a.files.every((file, index) => file === b.files[index] && a.texts?.get(file) === b.texts?.get(file));
  // Parse problems of a reused file are the same objects. Problems of reading are made anew at each load.
  return sameFiles && a.diagnostics.every((diagnostic, index) => diagnostic === b.diagnostics[index] || sameDiagnostic(diagnostic, b.diagnostics[index]));
}

function sameDiagnostic(a: Diagnostic, b: Diagnostic): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function freezeDiagnostic(diagnostic: Diagnostic): Diagnostic {
  return Object.freeze(diagnostic);
}

/** Parses the text of one file into documents, reporting YAML errors with their positions. */
export function parseDocuments(file: string, text: string): ParsedDocuments {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const documents: ConfigDocument[] = [];
  parsed.forEach((yaml, index) => {
    for (const error of yaml.errors) {
      const code: ConfigErrorCode = error.code === 'DUPLICATE_KEY' ? 'MERIDIAN_CONFIG_DUPLICATE_KEY' : 'MERIDIAN_CONFIG_YAML_SYNTAX';
      const position = lineCounter.linePos(error.pos[0]);
      const message = error.code === 'DUPLICATE_KEY' ? duplicateKeyMessage(text, error.pos) : `invalid YAML: ${error.message}`;
      diagnostics.push(createDiagnostic(code, { file, line: position.line, column: position.col, path: '', message }));
    }
    // A document of only comments has no contents, or a null scalar after a `---` marker.
    const empty = yaml.contents === null || (isScalar(yaml.contents) && yaml.contents.value === null);
    if (!empty) documents.push(Object.freeze({ file, index, yaml, lineCounter }));
  });
  return { documents: diagnostics.length > 0 ? [] : documents, diagnostics };
}

/** Reads the repeated key from the text, because the yaml package points at its first character only. */
function duplicateKeyMessage(text: string, range: [number, number]): string {
  const lineEnd = text.indexOf('\n', range[0]);
  const rest = text.slice(range[0], lineEnd === -1 ? text.length : lineEnd);
  const key = /^("[^"]*"|'[^']*'|[^:]*?)\s*:/.exec(rest)?.[1].replace(/^["']|["']$/g, '');
  return key === undefined ? 'duplicate key; the mapping already has this key' : `duplicate key "${key}"; the mapping already has this key`;
}

async function listConfigFiles(configPath: string, diagnostics: Diagnostic[]): Promise<string[]> {
  let stats;
  try {
    stats = await fs.stat(configPath);
  } catch (error) {
    diagnostics.push(unreadable(configPath, error));
    return [];
  }
  if (!stats.isDirectory()) return [configPath];

  let names: string[];
  try {
    names = await fs.readdir(configPath);
  } catch (error) {
    diagnostics.push(unreadable(configPath, error));
    return [];
  }
  const files = names.filter((name) => YAML_EXTENSIONS.has(path.extname(name))).sort();
  if (files.length === 0) {
    diagnostics.push(
      createDiagnostic('MERIDIAN_CONFIG_NO_FILES', {
        file: configPath,
        line: 0,
        column: 0,
        path: '',
        message: `folder "${configPath}" contains no .yaml or .yml file`,
      }),
    );
  }
  return files.map((name) => path.join(configPath, name));
}

function unreadable(file: string, error: unknown): Diagnostic {
  const reason = error instanceof Error ? error.message : String(error);
  return createDiagnostic('MERIDIAN_CONFIG_FILE_UNREADABLE', {
    file,
    line: 0,
    column: 0,
    path: '',
    message: `cannot read "${file}": ${reason}`,
  });
}

/** Returns the line and column where a node starts, or where the document starts for a missing node. */
export function positionOf(document: ConfigDocument, node: Node | null | undefined): LinePosition {
  const offset = node?.range?.[0] ?? document.yaml.range[0];
  const position = document.lineCounter.linePos(offset);
  return { line: position.line, column: position.col };
}

/** Follows an alias to the node it names; other nodes are returned as they are. */
export function resolveNode(document: ConfigDocument, node: unknown): Node | null {
  if (isAlias(node)) return node.resolve(document.yaml) ?? null;
  return isNode(node) ? node : null;
}

/**
 * Returns the node at a field path such as `spec.failover[0].to[1]`, or the deepest node on the
 * way when the path leads nowhere, so that a diagnostic points as close as possible.
 */
export function nodeAtPath(document: ConfigDocument, fieldPath: string): Node | null {
  let node = resolveNode(document, document.yaml.contents);
  for (const step of splitPath(fieldPath)) {
    const next = childOf(document, node, step);
    if (next === null) return node;
    node = next;
  }
  return node;
}

function childOf(document: ConfigDocument, node: Node | null, step: string | number): Node | null {
  if (typeof step === 'number') {
    return isSeq(node) ? resolveNode(document, node.items[step]) : null;
  }
  if (!isMap(node)) return null;
  const pair = node.items.find((item) => isScalar(item.key) && item.key.value === step);
  return pair === undefined ? null : resolveNode(document, pair.value);
}

function splitPath(fieldPath: string): Array<string | number> {
  const steps: Array<string | number> = [];
  for (const match of fieldPath.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    steps.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  }
  return steps;
}
