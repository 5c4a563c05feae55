/** Returns the value at percentile `p` (0 to 100) of `values` by the nearest-rank method. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Returns the value at percentile `p` of a histogram given as [value, count] pairs in increasing order. */
export function histogramPercentile(pairs: readonly [number, number][], p: number): number {
  const total = pairs.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [value, count] of pairs) {
    seen += count;
    if (seen >= rank) return value;
  }
  return pairs[pairs.length - 1]![0];
}

/** Adds histograms given as [value, count] pairs; returns the sum in increasing order of value. */
export function mergeHistograms(histograms: readonly (readonly [number, number][])[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const histogram of histograms) {
    for (const [value, count] of histogram) counts.set(value, (counts.get(value) ?? 0) + count);
  }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}
