/**
 * "Did you mean" for config keys and values. A small Levenshtein distance:
 * no maintained edit-distance library is a dependency of this project
 * (fast-levenshtein in node_modules is only a transitive dependency of
 * eslint), and these lists are tens of short words.
 */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `word` (case-insensitive), when it is close enough
 * to be a typo: at most a third of the word's length away (at least 1), or
 * `word` with a namespace or prefix missing. Ties go to the earlier candidate.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    if (c === w) continue;
    const distance = c.endsWith(`:${w}`) ? 0 : editDistance(w, c);
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(1, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** `<before>did you mean "x"?<after>` when a candidate is close to `word`, else "". */
export function didYouMean(word: string, candidates: readonly string[], before = "; ", after = ""): string {
  const match = closest(word, candidates);
  return match === undefined ? "" : `${before}did you mean ${JSON.stringify(match)}?${after}`;
}
