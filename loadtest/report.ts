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

/** Scenarios whose targets are set for the full fleet sizes, which quick mode does not run. */
const FLEET_SCENARIOS: ReadonlySet<string> = new Set(['T1', 'T2', 'T3', 'T4', 'T5']);

function samplesOf(measurement: Measurement): string {
  return measurement.samples === 1 ? '1 sample' : `${measurement.samples} samples`;
}

function usageOf(measurement: Measurement | undefined): string {
  if (!measurement || measurement.cpuSeconds === undefined) return '-';
  return `${measurement.cpuSeconds.toFixed(1)} s / ${measurement.rssMiB} MiB`;
}

/**
 * Formats the results as a plain-text table with one line per scenario, and their notes below.
 * With `quick`, the verdict of a fleet scenario reads `full sizes only`, because its target is set
 * for the full fleet.
 */
export function formatReport(results: readonly ScenarioResult[], options: { quick?: boolean } = {}): string {
  const header = ['scenario', 'size', 'unit', 'median', 'p99', 'floor p99', 'ratio', 'CPU / RSS', 'floor CPU / RSS', 'target', 'verdict'];
  const rows = results.map((result) => {
    const ratio = result.floor ? result.meridian.p99 / result.floor.p99 : undefined;
    return [
      result.id,
      result.size,
      result.unit,
      format(result.meridian.median, result.unit),
      format(result.meridian.p99, result.unit),
      format(result.floor?.p99, result.unit),
      ratio === undefined || !Number.isFinite(ratio) ? '-' : `${ratio.toFixed(2)}x`,
      usageOf(result.meridian),
      usageOf(result.floor),
      result.target,
      options.quick && FLEET_SCENARIOS.has(result.id) ? 'full sizes only' : verdictOf(result),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
  const lines = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line), ''];
  for (const result of results) {
    lines.push(`${result.id}: ${result.title}`);
    lines.push(`  meridian: ${samplesOf(result.meridian)}; ${result.meridian.notes.join('; ')}`);
    if (result.floor) lines.push(`  floor: ${samplesOf(result.floor)}; ${result.floor.notes.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
