// Binding a plan's parameters and sweep variables to values: one BoundPlan per point of the sweep grid.
// The compiler has checked every default and sweep value where it is used; a value given here (--set, run(params))
// is checked against its declaration's type, against the rules of the generate options it sets, and, as a position
// text, for being empty. Selections (layers, heads, positions) are checked against the model when the bound plan is
// (model-check.ts).

import { withArticle } from "../foundation/text.js";
import { ANY_INTEGER, brokenBound, GENERATE_COUNT, INTEGER_TEXT, NUMBER_TEXT, type NumberRule } from "./numbers.js";
import { MAX_SWEEP_GRID_POINTS } from "./params.js";
import { SAMPLING_OPTIONS } from "./sampling.js";
import { stepSites } from "./step-sites.js";
import type {
  BoundPlan,
  NumberOrParam,
  ParamRef,
  ParamValue,
  Plan,
  PlanParam,
  PlanSweep,
  StringOrParam,
} from "./plan-ir.js";

/**
 * A plan's parameters can't be bound as asked: a value given for a parameter that does not exist, or that does not
 * fit its type or where it is used (from --set or run(params)), or a reference to a parameter the plan lacks.
 */
export class ParamError extends Error {
  override readonly name = "ParamError";
}

type Declared = Pick<PlanParam, "name" | "type">;

/** An int must be a safe integer, as in the language (numbers.ts). */
function checkValue(declared: Declared, value: unknown, written = JSON.stringify(value)): ParamValue {
  const fits =
    declared.type === "string"
      ? typeof value === "string"
      : typeof value === "number" && Number.isFinite(value) && (declared.type === "float" || Number.isInteger(value));
  if (!fits) throw new ParamError(`parameter '${declared.name}' is ${withArticle(declared.type)}, got ${written}`);
  const bound = declared.type === "int" ? brokenBound(value as number, ANY_INTEGER) : undefined;
  if (bound !== undefined) throw new ParamError(`parameter '${declared.name}' must be ${bound}, got ${written}`);
  return value as ParamValue;
}

/**
 * Reads a value given as text (`--set l=3`) the way its declaration types it: ints and floats as numbers written
 * as in the language (so an int rejects "2.5" and "1e3"), strings as they are.
 */
export function parseParamValue(plan: Plan, name: string, text: string): ParamValue {
  const declared = [...plan.params, ...plan.sweeps].find((d) => d.name === name);
  if (!declared) throw new ParamError(unknownName(plan, name));
  if (declared.type === "string") return text;
  const isNumber = (declared.type === "int" ? INTEGER_TEXT : NUMBER_TEXT).test(text);
  return checkValue(declared, isNumber ? Number(text) : Number.NaN, JSON.stringify(text));
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

function isParamRef(node: unknown): node is ParamRef {
  if (typeof node !== "object" || node === null || !("param" in node)) return false;
  for (const key in node) if (key !== "param") return false;
  return true;
}

/**
 * Replaces every `{param}` reference, wherever it stands, with its value. Whatever holds no reference is kept, not
 * copied: the points of a sweep share it, and a plan of 100k steps binds without copying each one.
 */
function substitute(node: unknown, values: Readonly<Record<string, ParamValue>>): unknown {
  if (node === null || typeof node !== "object") return node;
  if (isParamRef(node)) {
    const value = values[node.param];
    if (value === undefined) throw new ParamError(`the plan uses parameter '${node.param}', which it does not declare`);
    return value;
  }
  let copy: Record<string, unknown> | unknown[] | undefined;
  const original = node as Record<string, unknown>;
  for (const key in original) {
    const value = substitute(original[key], values);
    if (value === original[key]) continue;
    copy ??= Array.isArray(node) ? [...(node as unknown[])] : { ...original };
    (copy as Record<string, unknown>)[key] = value;
  }
  return copy ?? node;
}

/**
 * Checks the values that references stand for against the rules of their places, as the compiler checks literals
 * there: the generate count, the sampling options, the stop text, and texts selecting positions.
 */
function checkValuesWhereUsed(plan: Plan, values: Readonly<Record<string, ParamValue>>): void {
  const checkNumber = (name: string, field: NumberOrParam | undefined, rule: NumberRule) => {
    if (!isParamRef(field)) return;
    const value = values[field.param];
    const bound = typeof value === "number" ? brokenBound(value, rule) : undefined;
    if (bound !== undefined) throw new ParamError(`${name} must be ${bound}, got ${field.param} = ${value}`);
  };
  const checkText = (name: string, text: StringOrParam | undefined) => {
    if (isParamRef(text) && values[text.param] === "") {
      throw new ParamError(`${name} must not be empty, got ${text.param} = ""`);
    }
  };
  for (const step of plan.steps) {
    const { reads, writes } = stepSites(step);
    for (const { positions } of [...reads, ...writes]) {
      if (positions.kind === "text") checkText("a pos text", positions.text);
    }
    if (step.kind !== "generate") continue;
    checkNumber("generate count", step.maxNewTokens, GENERATE_COUNT);
    const { sampling } = step;
    if (sampling.kind === "sample") {
      for (const [option, { field, rule }] of SAMPLING_OPTIONS) checkNumber(option, sampling[field], rule);
    }
    checkText("the stop text", step.stop);
  }
}

/**
 * The bound plans of `plan`: parameters take their defaults unless `given` sets them (a value of `undefined` sets
 * nothing, as an optional property left out), and there is one plan per point of the sweep grid. Throws ParamError
 * for a name that is not declared, a value of the wrong type or out of range where it is used, or a grid of more
 * points than the compiler allows.
 */
export function bindPlan(plan: Plan, given: Readonly<Record<string, unknown>> = {}): BoundPlan[] {
  const declared = new Map<string, Declared>([...plan.params, ...plan.sweeps].map((d) => [d.name, d]));
  const checked: Record<string, ParamValue> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const declaration = declared.get(name);
    if (!declaration) throw new ParamError(unknownName(plan, name));
    checked[name] = checkValue(declaration, value);
  }
  const points = plan.sweeps.reduce((count, sweep) => count * (sweep.name in checked ? 1 : sweep.values.length), 1);
  if (points > MAX_SWEEP_GRID_POINTS) {
    throw new ParamError(`the sweeps make ${points} runs; the sweeps of a plan make at most ${MAX_SWEEP_GRID_POINTS}`);
  }
  const params = Object.fromEntries(plan.params.map((p) => [p.name, checked[p.name] ?? p.default]));
  return grid(plan.sweeps, checked).map((point) => {
    const bindings = { ...params, ...point };
    checkValuesWhereUsed(plan, bindings);
    return {
      planVersion: plan.planVersion,
      model: plan.model,
      bindings,
      prompts: substitute(plan.prompts, bindings) as BoundPlan["prompts"],
      steps: substitute(plan.steps, bindings) as BoundPlan["steps"],
    };
  });
}
