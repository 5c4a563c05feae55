/** Severity of a diagnostic: an error rejects the configuration, a warning does not. */
export type Severity = 'error' | 'warning';

/** One problem found in the operator's configuration, with the place it was found. */
export interface Diagnostic {
  /** Stable code from the error catalogue, for example `MERIDIAN_CONFIG_UNKNOWN_FIELD`. */
  code: string;
  severity: Severity;
  /** The file as the caller named it. */
  file: string;
  /** 1-based; 0 when the problem concerns the whole file. */
  line: number;
  /** 1-based; 0 when the problem concerns the whole file. */
  column: number;
  /** Field path inside the document, for example `spec.endpoints[2].locality.region`; empty for the whole document. */
  path: string;
  /** The offending value as plain JSON, undefined when the value is missing. */
  value: unknown;
  /** Description of the problem, naming the value. */
  message: string;
  /** Next step for the operator. */
  fix: string;
}

/** Formats one diagnostic as `FILE:LINE:COL: SEVERITY CODE: PATH: MESSAGE`, the way compilers do. */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const place = diagnostic.line > 0 ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : diagnostic.file;
  const path = diagnostic.path === '' ? '' : `${diagnostic.path}: `;
  return `${place}: ${diagnostic.severity} ${diagnostic.code}: ${path}${diagnostic.message}`;
}

/** Formats a diagnostic on one line, with its fix when it has one, for log records. */
export function formatDiagnosticForLog(diagnostic: Diagnostic): string {
  const line = formatDiagnostic(diagnostic);
  return diagnostic.fix === '' ? line : `${line} (fix: ${diagnostic.fix})`;
}

/** Formats diagnostics one per line, each followed by an indented `fix:` line. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const lines: string[] = [];
  for (const diagnostic of diagnostics) {
    lines.push(formatDiagnostic(diagnostic));
    if (diagnostic.fix !== '') lines.push(`    fix: ${diagnostic.fix}`);
  }
  return lines.join('\n');
}

/** Returns true when at least one diagnostic is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'error');
}
