// A plan as it is printed (`ptch plan`) and embedded in compiled modules: without source locations, which only
// diagnostics need and which would make the plan change whenever the file is merely reformatted.

import type { Plan } from "./plan-ir.js";

/** A plan, or any part of one, without its source locations (`at`). */
export function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "at")
      .map(([key, v]) => [key, withoutLocations(v)]),
  );
}

export function planWithoutLocations(plan: Plan): Plan {
  return withoutLocations(plan) as Plan;
}
