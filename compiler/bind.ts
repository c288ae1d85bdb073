// Binding a plan's parameters and sweep variables to values: one BoundPlan per point of the sweep grid.

import type { BoundPlan, ParamValue, Plan, PlanParam, PlanSweep } from "./types.js";

/** A value given for a parameter that does not exist or does not fit its type (from --set or run(params)). */
export class ParamError extends Error {
  override readonly name = "ParamError";
}

type Declared = Pick<PlanParam, "name" | "type">;

function checkValue(declared: Declared, value: unknown): ParamValue {
  const fits =
    declared.type === "string"
      ? typeof value === "string"
      : typeof value === "number" && Number.isFinite(value) && (declared.type === "float" || Number.isInteger(value));
  if (!fits)
    throw new ParamError(
      `parameter '${declared.name}' is ${article(declared.type)} ${declared.type}, got ${JSON.stringify(value)}`,
    );
  return value as ParamValue;
}

const article = (type: string) => (type === "int" ? "an" : "a");

/**
 * Reads a value given as text (`--set l=3`) the way its declaration types it: ints and floats as numbers,
 * strings as they are.
 */
export function parseParamValue(plan: Plan, name: string, text: string): ParamValue {
  const declared = [...plan.params, ...plan.sweeps].find((d) => d.name === name);
  if (!declared) throw new ParamError(unknownName(plan, name));
  if (declared.type === "string") return text;
  const value = text.trim() === "" ? Number.NaN : Number(text);
  return checkValue(declared, value);
}

function unknownName(plan: Plan, name: string): string {
  const names = [...plan.params, ...plan.sweeps].map((d) => d.name);
  return `no parameter named '${name}'${names.length > 0 ? `; the parameters are ${names.join(", ")}` : "; this file declares none"}`;
}

/** Every combination of sweep values, first sweep outermost; a sweep fixed by `given` has that value only. */
function grid(sweeps: readonly PlanSweep[], given: Readonly<Record<string, ParamValue>>): Record<string, ParamValue>[] {
  return sweeps.reduce<Record<string, ParamValue>[]>(
    (points, sweep) => {
      const values = sweep.name in given ? [given[sweep.name]!] : sweep.values;
      return points.flatMap((point) => values.map((value) => ({ ...point, [sweep.name]: value })));
    },
    [{}],
  );
}

/** Replaces every `{param}` reference, wherever it stands, with its value. */
function substitute(node: unknown, values: Readonly<Record<string, ParamValue>>): unknown {
  if (Array.isArray(node)) return node.map((item) => substitute(item, values));
  if (node === null || typeof node !== "object") return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === "param") return values[(node as { param: string }).param];
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, substitute(value, values)]));
}

/**
 * The bound plans of `plan`: parameters take their defaults unless `given` sets them, and there is one plan
 * per point of the sweep grid. Throws ParamError for a name that is not declared or a value of the wrong type.
 */
export function bindPlan(plan: Plan, given: Readonly<Record<string, unknown>> = {}): BoundPlan[] {
  const declared = new Map<string, Declared>([...plan.params, ...plan.sweeps].map((d) => [d.name, d]));
  const checked: Record<string, ParamValue> = {};
  for (const [name, value] of Object.entries(given)) {
    const declaration = declared.get(name);
    if (!declaration) throw new ParamError(unknownName(plan, name));
    checked[name] = checkValue(declaration, value);
  }
  const params = Object.fromEntries(plan.params.map((p) => [p.name, checked[p.name] ?? p.default]));
  return grid(plan.sweeps, checked).map((point) => {
    const bindings = { ...params, ...point };
    return {
      planVersion: plan.planVersion,
      model: plan.model,
      bindings,
      prompts: substitute(plan.prompts, bindings) as BoundPlan["prompts"],
      steps: substitute(plan.steps, bindings) as BoundPlan["steps"],
    };
  });
}
