import type { Measurement, ScenarioResult } from './scenarios';

function format(value: number | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (unit === 'ms' && value < 10) return value.toFixed(2);
  if (unit === 'KiB') return value.toFixed(1);
  return Math.round(value).toString();
}

/**
 * Compares Meridian's p99 with the scenario's limit and floor ratio. Returns 'met', what was
 * missed and by how much, or '-' when the scenario sets no target.
 */
export function verdictOf(result: ScenarioResult): string {
  if (result.limit === undefined) return '-';
  const missed: string[] = [];
  const value = result.meridian.p99;
  if (value > result.limit) missed.push(`limit by ${Math.round((value / result.limit - 1) * 100)}%`);
  if (result.maxFloorRatio !== undefined && result.floor) {
    const ratio = value / result.floor.p99;
    if (ratio > result.maxFloorRatio) missed.push(`floor ratio (${ratio.toFixed(1)}x > ${result.maxFloorRatio}x)`);
  }
  return missed.length === 0 ? 'met' : `missed ${missed.join(', ')}`;
}

function usageOf(measurement: Measurement | undefined): string {
  if (!measurement || measurement.cpuSeconds === undefined) return '-';
  return `${measurement.cpuSeconds.toFixed(1)} s / ${measurement.rssMiB} MiB`;
}

/** Formats the results as a plain-text table with one line per scenario, and their notes below. */
export function formatReport(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'unit', 'median', 'p99', 'floor p99', 'ratio', 'CPU / RSS', 'floor CPU / RSS', 'target', 'verdict'];
  const rows = results.map((result) => {
    const ratio = result.floor ? result.meridian.p99 / result.floor.p99 : undefined;
    return [
      result.id,
      result.unit,
      format(result.meridian.median, result.unit),
      format(result.meridian.p99, result.unit),
      format(result.floor?.p99, result.unit),
      ratio === undefined || !Number.isFinite(ratio) ? '-' : `${ratio.toFixed(2)}x`,
      usageOf(result.meridian),
      usageOf(result.floor),
      result.target,
      verdictOf(result),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const lines = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line), ''];
  for (const result of results) {
    lines.push(`${result.id}: ${result.title}`);
    lines.push(`  meridian: ${result.meridian.samples} samples; ${result.meridian.notes.join('; ')}`);
    if (result.floor) lines.push(`  floor: ${result.floor.samples} samples; ${result.floor.notes.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
