/**
 * Returns the optimal string alignment distance between two strings: the Levenshtein distance
 * where swapping two adjacent characters also counts as one edit ("cnetral" and "central").
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const table: number[][] = Array.from({ length: rows }, () => new Array<number>(columns).fill(0));
  for (let i = 0; i < rows; i++) table[i][0] = i;
  for (let j = 0; j < columns; j++) table[0][j] = j;

  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) best = Math.min(best, table[i - 2][j - 2] + 1);
      table[i][j] = best;
    }
  }
  return table[a.length][b.length];
}

/**
 * Returns the candidate closest to `value`, or undefined when none is close enough to be a likely
 * typo. Case is ignored, and a candidate is close when at most a third of the characters of the
 * longer string differ (at least one edit is always allowed).
 */
export function closestMatch(value: string, candidates: Iterable<string>): string | undefined {
  const lowered = value.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === value) continue;
    const distance = editDistance(lowered, candidate.toLowerCase());
    const allowed = Math.max(1, Math.floor(Math.max(value.length, candidate.length) / 3));
    if (distance > allowed) continue;
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Returns `; did you mean "X"?` for the closest candidate, or an empty string when none is close. */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  const match = closestMatch(value, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}

const LISTED_MAX = 10;

/** Lists candidates in sorted order for a message, naming at most ten and counting the rest. */
export function listKnown(candidates: Iterable<string>): string {
  const sorted = [...new Set(candidates)].sort();
  if (sorted.length === 0) return 'none';
  const shown = sorted.slice(0, LISTED_MAX).join(', ');
  const hidden = sorted.length - LISTED_MAX;
  return hidden > 0 ? `${shown} and ${hidden} more` : shown;
}
