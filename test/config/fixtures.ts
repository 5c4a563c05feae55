import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { parseDocuments, type Diagnostic, type KindRegistry } from '../../config';

/** The fields of a diagnostic that table tests compare. */
export interface DiagnosticSummary {
  code: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/** Parses YAML text as one file and validates it with `kinds`, as a load of that file would. */
export function validateText(text: string, kinds: KindRegistry, file = 'meridian.yaml'): Diagnostic[] {
  const parsed = parseDocuments(file, text);
  return kinds.validate({ files: [file], documents: parsed.documents, diagnostics: parsed.diagnostics }).diagnostics;
}

export function summarize(diagnostic: Diagnostic): DiagnosticSummary {
  const { code, line, column, path: fieldPath, message } = diagnostic;
  return { code, line, column, path: fieldPath, message };
}

/** Joins lines into YAML text with a final newline. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Creates an empty folder under the system's temporary folder. */
export async function makeTempFolder(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'meridian-config-'));
}

/** Resolves once `condition` holds, checking every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Returns a logger that keeps its records in memory, so tests can check what was logged. */
export function memoryLogger(): { logger: pino.Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const stream = { write: (line: string) => records.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: pino({ level: 'debug' }, stream), records };
}

/** A valid ServiceEndpoints document. Lines are numbered in the comments for the table tests. */
export const SERVICE_LINES = [
  'apiVersion: meridian.io/v1alpha1', // 1
  'kind: ServiceEndpoints', // 2
  'metadata:', // 3
  '  name: checkout.shop', // 4
  'spec:', // 5
  '  port: 8080', // 6
  '  protocol: grpc', // 7
  '  endpoints:', // 8
  '    - address: 10.0.0.1', // 9
  '      port: 50051', // 10
  '      locality:', // 11
  '        region: eu-west', // 12
  '        zone: eu-west-1a', // 13
  '      cluster: central-k8s', // 14
];

/** Returns SERVICE_LINES with 1-based line `line` replaced by `replacement` (several lines, or none). */
export function replaceLine(lines: readonly string[], line: number, ...replacement: string[]): string[] {
  return [...lines.slice(0, line - 1), ...replacement, ...lines.slice(line)];
}
