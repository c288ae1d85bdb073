// Binding a plan's parameters and sweep variables to values: one BoundPlan per point of the sweep grid.
// The compiler has checked every default and sweep value where it is used; a value given here (--set, run(params))
// is checked against its declaration's type, and against the rules of the generate options it sets. Selections
// (layers, heads, positions) are checked against the model when the bound plan is (model-check.ts).

import { GENERATE_COUNT, type NumberRule } from "./numbers.js";
import { SAMPLING_OPTIONS } from "./sampling.js";
import type {
  BoundPlan,
  NumberOrParam,
  ParamRef,
  ParamValue,
  Plan,
  PlanParam,
  PlanSweep,
  StringOrParam,
} from "./types.js";

/**
 * A plan's parameters can't be bound as asked: a value given for a parameter that does not exist, or that does not
 * fit its type or where it is used (from --set or run(params)), or a reference to a parameter the plan lacks.
 */
export class ParamError extends Error {
  override readonly name = "ParamError";
}

type Declared = Pick<PlanParam, "name" | "type">;

function checkValue(declared: Declared, value: unknown, written = JSON.stringify(value)): ParamValue {
  const fits =
    declared.type === "string"
      ? typeof value === "string"
      : typeof value === "number" && Number.isFinite(value) && (declared.type === "float" || Number.isInteger(value));
  if (!fits)
    throw new ParamError(`parameter '${declared.name}' is ${article(declared.type)} ${declared.type}, got ${written}`);
  return value as ParamValue;
}

const article = (type: string) => (type === "int" ? "an" : "a");

/** Numbers as the language writes them, with an optional sign: an int has digits only. */
const INT_TEXT = /^[+-]?[0-9]+$/;
const FLOAT_TEXT = /^[+-]?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Reads a value given as text (`--set l=3`) the way its declaration types it: ints and floats as numbers written
 * as in the language (so an int rejects "2.5" and "1e3"), strings as they are.
 */
export function parseParamValue(plan: Plan, name: string, text: string): ParamValue {
  const declared = [...plan.params, ...plan.sweeps].find((d) => d.name === name);
  if (!declared) throw new ParamError(unknownName(plan, name));
  if (declared.type === "string") return text;
  const isNumber = (declared.type === "int" ? INT_TEXT : FLOAT_TEXT).test(text);
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
  return typeof node === "object" && node !== null && Object.keys(node).length === 1 && "param" in node;
}

/** Replaces every `{param}` reference, wherever it stands, with its value. */
function substitute(node: unknown, values: Readonly<Record<string, ParamValue>>): unknown {
  if (Array.isArray(node)) return node.map((item) => substitute(item, values));
  if (node === null || typeof node !== "object") return node;
  if (isParamRef(node)) {
    const value = values[node.param];
    if (value === undefined) throw new ParamError(`the plan uses parameter '${node.param}', which it does not declare`);
    return value;
  }
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, substitute(value, values)]));
}

/**
 * Checks the values that references in generate steps stand for against the rules of their places, as the
 * compiler checks literals there: the count, the sampling options and the stop text.
 */
function checkGenerateValues(plan: Plan, values: Readonly<Record<string, ParamValue>>): void {
  const checkNumber = (name: string, field: NumberOrParam | undefined, rule: NumberRule) => {
    if (!isParamRef(field)) return;
    const value = values[field.param];
    if (typeof value === "number" && !rule.accepts(value)) {
      throw new ParamError(`${name} must be ${rule.bound}, got ${field.param} = ${value}`);
    }
  };
  const checkStop = (stop: StringOrParam | undefined) => {
    if (isParamRef(stop) && values[stop.param] === "") {
      throw new ParamError(`the stop text must not be empty, got ${stop.param} = ""`);
    }
  };
  for (const step of plan.steps) {
    if (step.kind !== "generate") continue;
    checkNumber("generate count", step.maxNewTokens, GENERATE_COUNT);
    const { sampling } = step;
    if (sampling.kind === "sample") {
      for (const [option, { field, rule }] of SAMPLING_OPTIONS) checkNumber(option, sampling[field], rule);
    }
    checkStop(step.stop);
  }
}

/**
 * The bound plans of `plan`: parameters take their defaults unless `given` sets them, and there is one plan
 * per point of the sweep grid. Throws ParamError for a name that is not declared, or a value of the wrong type or
 * out of range where it is used.
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
    checkGenerateValues(plan, bindings);
    return {
      planVersion: plan.planVersion,
      model: plan.model,
      bindings,
      prompts: substitute(plan.prompts, bindings) as BoundPlan["prompts"],
      steps: substitute(plan.steps, bindings) as BoundPlan["steps"],
    };
  });
}
