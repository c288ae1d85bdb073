// The options of a `sample` clause: their names, the plan field each sets, the values each accepts, and what an
// option left out means.

import type { NumberRule } from "./numbers.js";

export type SamplingField = "temperature" | "topK" | "topP" | "seed";

export interface SamplingOptionSpec {
  field: SamplingField;
  rule: NumberRule;
}

/** The largest seed: the PRNG takes 32 bits, so a larger seed would give the tokens of a smaller one. */
export const MAX_SEED = 2 ** 32 - 1;

export const SAMPLING_OPTIONS: ReadonlyMap<string, SamplingOptionSpec> = new Map<string, SamplingOptionSpec>([
  ["temperature", { field: "temperature", rule: { integer: false, accepts: (t) => t >= 0, bound: "at least 0" } }],
  ["top_k", { field: "topK", rule: { integer: true, accepts: (k) => k >= 1, bound: "at least 1" } }],
  [
    "top_p",
    { field: "topP", rule: { integer: false, accepts: (p) => p > 0 && p <= 1, bound: "greater than 0 and at most 1" } },
  ],
  [
    "seed",
    {
      field: "seed",
      rule: { integer: true, accepts: (s) => s >= 0 && s <= MAX_SEED, bound: `at least 0 and at most ${MAX_SEED}` },
    },
  ],
]);

/** Sampling from the model's own distribution (the default seed is the statement's place: see plan.ts). */
export const DEFAULT_TEMPERATURE = 1;
