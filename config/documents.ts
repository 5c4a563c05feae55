import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics';
import { createDiagnostic, type ConfigErrorCode } from './errors';

/** One YAML document of a configuration file, with what is needed to report positions in it. */
export interface ConfigDocument {
  /** The file as the caller named it (a folder's files are joined to the folder's path). */
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  yaml: Document.Parsed;
  /** Maps offsets of the whole file to lines and columns. */
  lineCounter: LineCounter;
}

/** The result of reading configuration paths: every non-empty document and every problem found. */
export interface LoadedDocuments {
  /** The files read, in load order. */
  files: string[];
  documents: ConfigDocument[];
  diagnostics: Diagnostic[];
  /** The text of each file read, by file, for callers that record what they validated. */
  texts?: Map<string, string>;
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
 * is validated.
 */
export async function loadDocuments(paths: readonly string[]): Promise<LoadedDocuments> {
  const result: LoadedDocuments = { files: [], documents: [], diagnostics: [], texts: new Map() };
  for (const configPath of paths) {
    const files = await listConfigFiles(configPath, result.diagnostics);
    for (const file of files) {
      await readConfigFile(file, result);
    }
  }
  return result;
}

/** Parses the text of one file into documents, reporting YAML errors with their positions. */
export function parseDocuments(file: string, text: string): { documents: ConfigDocument[]; diagnostics: Diagnostic[] } {
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
    if (!empty) documents.push({ file, index, yaml, lineCounter });
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

async function readConfigFile(file: string, result: LoadedDocuments): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    result.diagnostics.push(unreadable(file, error));
    return;
  }
  result.files.push(file);
  result.texts?.set(file, text);
  const parsed = parseDocuments(file, text);
  result.documents.push(...parsed.documents);
  result.diagnostics.push(...parsed.diagnostics);
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
