// "Did you mean ...?" suggestions for misspelt names.

import { joinWords } from "../foundation/text.js";

/**
 * Names longer than this get no suggestion: the distance costs the product of the two lengths, and a name that
 * long is no typo of a short one.
 */
const MAX_COMPARED_LENGTH = 64;

/**
 * The optimal-string-alignment distance: the fewest insertions, deletions, substitutions and swaps of adjacent
 * characters that turn `a` into `b`. Swaps count as one edit because transposed letters are the commonest typo.
 * Three rows of the table at a time, so memory stays linear.
 */
export function editDistance(a: string, b: string): number {
  // rows[i % 3][j] is the distance between the first i characters of a and the first j of b.
  const rows = [0, 1, 2].map(() => new Uint32Array(b.length + 1));
  rows[0]!.forEach((_, j) => (rows[0]![j] = j));
  for (let i = 1; i <= a.length; i++) {
    const [twoBack, previous, current] = [rows[(i + 1) % 3]!, rows[(i + 2) % 3]!, rows[i % 3]!];
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitutionCost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + substitutionCost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, twoBack[j - 2]! + 1);
      }
      current[j] = distance;
    }
  }
  return rows[a.length % 3]![b.length]!;
}

/**
 * The candidate nearest to `name`, if it is near enough to be a likely typo: at most one edit per three
 * characters (and at least one edit allowed), so short names don't attract unrelated suggestions.
 * On a tie the earliest candidate wins. Candidates whose length alone rules them out are never compared.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > MAX_COMPARED_LENGTH) return undefined;
  const maxDistance = Math.max(1, Math.floor(name.length / 3));
  let closest: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - name.length) > maxDistance) continue;
    const distance = editDistance(name, candidate);
    if (distance <= maxDistance && (closest === undefined || distance < closest.distance)) {
      closest = { candidate, distance };
    }
  }
  return closest?.candidate;
}

/** The end of a message that suggests `closest`: "; did you mean 'story'?", or nothing without a suggestion. */
export function didYouMean(closest: string | undefined): string {
  return closest === undefined ? "" : `; did you mean '${closest}'?`;
}

/**
 * For a name from a small fixed set (sites, selectors, options): the suggestion of the nearest one, or else the
 * whole set, "; the selectors are L, head and pos".
 */
export function didYouMeanOneOf(name: string, known: readonly string[], plural: string): string {
  const closest = closestName(name, known);
  return closest === undefined ? `; the ${plural} are ${joinWords(known)}` : didYouMean(closest);
}
