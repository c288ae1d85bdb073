// The options of a `sample` clause: their names, the plan field each sets, the values each accepts, and what an
// option left out means.

import { NON_NEGATIVE_INTEGER, type NumberRule } from "./numbers.js";

export type SamplingField = "temperature" | "topK" | "topP" | "seed";

export interface SamplingOptionSpec {
  field: SamplingField;
  rule: NumberRule;
}

export const SAMPLING_OPTIONS: ReadonlyMap<string, SamplingOptionSpec> = new Map<string, SamplingOptionSpec>([
  ["temperature", { field: "temperature", rule: { integer: false, accepts: (t) => t >= 0, bound: "at least 0" } }],
  ["top_k", { field: "topK", rule: { integer: true, accepts: (k) => k >= 1, bound: "at least 1" } }],
  [
    "top_p",
    { field: "topP", rule: { integer: false, accepts: (p) => p > 0 && p <= 1, bound: "greater than 0 and at most 1" } },
  ],
  ["seed", { field: "seed", rule: NON_NEGATIVE_INTEGER }],
]);

/** Sampling from the model's own distribution, and a fixed seed so that runs repeat. */
export const DEFAULT_TEMPERATURE = 1;
export const DEFAULT_SEED = 0;
