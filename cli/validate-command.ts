import { formatDiagnostics, hasErrors } from '../config';
import { validateFiles } from '../policy';

/**
 * Checks YAML files and folders as `meridian serve` would load them, prints every diagnostic and
 * resolves with exit code 1 when any is an error, 0 otherwise.
 */
export async function runValidateCommand(paths: string[], out: NodeJS.WritableStream): Promise<number> {
  const { diagnostics } = await validateFiles(paths);
  if (diagnostics.length > 0) out.write(`${formatDiagnostics(diagnostics)}\n`);

  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  out.write(`${paths.join(', ')}: ${errors} error(s), ${warnings} warning(s)\n`);
  return hasErrors(diagnostics) ? 1 : 0;
}
