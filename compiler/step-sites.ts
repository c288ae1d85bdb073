// What each kind of plan step does to activation sites, in one place: the sites it writes (an intervention's
// target) and the sites it reads from prompts' runs (a capture, a patch's source, the inline reads in a value).
// Binding checks every selection a step makes, and the runtime builds its graph's slots and captures from these.

import type { PlanStep, SiteSelection, ValueExpr } from "./plan-ir.js";

export interface StepSites<N = number, S = string> {
  writes: SiteSelection<N, S>[];
  reads: SiteSelection<N, S>[];
}

export function stepSites<N, S>(step: PlanStep<N, S>): StepSites<N, S> {
  switch (step.kind) {
    case "capture":
      return { writes: [], reads: [step.site] };
    case "patch":
      return { writes: [step.site], reads: [step.source] };
    case "add":
    case "set":
      return { writes: [step.site], reads: valueReads(step.value) };
    case "scale":
      return { writes: [step.site], reads: valueReads(step.factor) };
    case "zero":
      return { writes: [step.site], reads: [] };
    case "mean":
      // The mean is over the same site of other prompts, read from their runs.
      return { writes: [step.site], reads: [step.site] };
    case "generate":
    case "measure":
      return { writes: [], reads: [] };
  }
}

/** The sites a value reads from prompts' runs: its inline `SITE of PROMPT` reads. */
export function valueReads<N, S>(value: ValueExpr<N, S>): SiteSelection<N, S>[] {
  switch (value.kind) {
    case "number":
    case "capture":
      return [];
    case "activation":
      return [value.site];
    case "binary":
      return [...valueReads(value.left), ...valueReads(value.right)];
    case "negate":
      return valueReads(value.operand);
  }
}
