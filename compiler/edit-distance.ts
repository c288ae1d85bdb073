// "Did you mean ...?" suggestions for misspelt names.

import { joinWords } from "../foundation/text.js";

/**
 * The optimal-string-alignment distance: the fewest insertions, deletions, substitutions and swaps of adjacent
 * characters that turn `a` into `b`. Swaps count as one edit because transposed letters are the commonest typo.
 */
export function editDistance(a: string, b: string): number {
  // distances[i][j] is the distance between the first i characters of a and the first j of b.
  const distances = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitutionCost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(
        distances[i - 1]![j]! + 1,
        distances[i]![j - 1]! + 1,
        distances[i - 1]![j - 1]! + substitutionCost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, distances[i - 2]![j - 2]! + 1);
      }
      distances[i]![j] = distance;
    }
  }
  return distances[a.length]![b.length]!;
}

/**
 * The candidate nearest to `name`, if it is near enough to be a likely typo: at most one edit per three
 * characters (and at least one edit allowed), so short names don't attract unrelated suggestions.
 * On a tie the earliest candidate wins.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const maxDistance = Math.max(1, Math.floor(name.length / 3));
  let closest: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
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
