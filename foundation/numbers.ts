// Number helpers every layer shares: finiteness checks on float arrays, and extremes of long lists.

/** The index of the first NaN or infinity in `values`, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // x - x is 0 for every finite x, NaN for NaN and ±Infinity: one comparison per value.
    if (values[i]! - values[i]! !== 0) return i;
  }
  return -1;
}

// Math.max(...values) passes every value as an argument, which overflows the stack at some 100k of them.

/** The largest of `values`, or `empty` when there are none. */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let max: number | undefined;
  for (const value of values) if (max === undefined || value > max) max = value;
  return max ?? empty;
}

/** The smallest of `values`, or `empty` when there are none. */
export function minOf(values: Iterable<number>, empty = Infinity): number {
  let min: number | undefined;
  for (const value of values) if (min === undefined || value < min) min = value;
  return min ?? empty;
}
