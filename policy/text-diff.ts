/** Lines of context around each change in a unified diff, as `diff -u` prints by default. */
export const DIFF_CONTEXT_LINES = 3;

interface LineEdit {
  op: ' ' | '-' | '+';
  line: string;
}

/**
 * Returns the hunks of a unified diff between two texts (`@@ -a,b +c,d @@` headers followed by
 * lines that start with a space, `-` or `+`), or an empty string when the texts are equal. The
 * file header lines (`---`, `+++`) are the caller's.
 *
 * NOTE: the line alignment is a longest common subsequence in O(lines × lines) time and memory,
 * sized for Envoy resources of a few hundred lines, not for large files.
 */
export function unifiedDiff(before: string, after: string, context = DIFF_CONTEXT_LINES): string {
  const edits = lineEdits(splitLines(before), splitLines(after));
  const hunks: string[] = [];
  let index = 0;
  while (index < edits.length) {
    if (edits[index].op === ' ') {
      index++;
      continue;
    }
    // A hunk starts `context` lines before the first change and ends `context` lines after the
    // last change that is closer than 2 × context lines to the one before.
    const start = Math.max(0, index - context);
    let end = index;
    while (end < edits.length) {
      let next = end;
      while (next < edits.length && edits[next].op !== ' ') next++;
      let gap = next;
      while (gap < edits.length && edits[gap].op === ' ') gap++;
      if (gap >= edits.length || gap - next > 2 * context) {
        end = Math.min(edits.length, next + context);
        break;
      }
      end = gap;
    }
    hunks.push(formatHunk(edits, start, end));
    index = end;
  }
  return hunks.join('\n');
}

function formatHunk(edits: readonly LineEdit[], start: number, end: number): string {
  let beforeLine = 1;
  let afterLine = 1;
  for (let index = 0; index < start; index++) {
    if (edits[index].op !== '+') beforeLine++;
    if (edits[index].op !== '-') afterLine++;
  }
  const slice = edits.slice(start, end);
  const beforeCount = slice.filter((edit) => edit.op !== '+').length;
  const afterCount = slice.filter((edit) => edit.op !== '-').length;
  // diff -u numbers an empty side by the line before it.
  const header = `@@ -${range(beforeCount === 0 ? beforeLine - 1 : beforeLine, beforeCount)} +${range(afterCount === 0 ? afterLine - 1 : afterLine, afterCount)} @@`;
  return [header, ...slice.map((edit) => `${edit.op}${edit.line}`)].join('\n');
}

function range(start: number, count: number): string {
  return count === 1 ? String(start) : `${start},${count}`;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Aligns two line lists by their longest common subsequence; deletions come before insertions. */
function lineEdits(before: readonly string[], after: readonly string[]): LineEdit[] {
  const rows = before.length + 1;
  const columns = after.length + 1;
  // common[i * columns + j] is the length of the longest common subsequence of before[i..] and after[j..].
  const common = new Uint32Array(rows * columns);
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      common[i * columns + j] =
        before[i] === after[j] ? common[(i + 1) * columns + j + 1] + 1 : Math.max(common[(i + 1) * columns + j], common[i * columns + j + 1]);
    }
  }

  const edits: LineEdit[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    if (i < before.length && j < after.length && before[i] === after[j]) {
      edits.push({ op: ' ', line: before[i++] });
      j++;
    } else if (j >= after.length || (i < before.length && common[(i + 1) * columns + j] >= common[i * columns + j + 1])) {
      edits.push({ op: '-', line: before[i++] });
    } else {
      edits.push({ op: '+', line: after[j++] });
    }
  }
  return edits;
}
