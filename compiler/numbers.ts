// Constraints on the numbers written in a program, checked the same way wherever they are written.

import { createDiagnostic } from "../foundation/diagnostics.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { NumberLiteral } from "../grammar/ast.js";

export interface NumberRule {
  /** Whether the number must be an integer: written as one, and exactly representable (a safe integer). */
  integer: boolean;
  /** Whether a value is allowed by the rule's own bound; finiteness and safety are checked besides. */
  accepts: (value: number) => boolean;
  /** The values `accepts` allows, for the message: "at least 0". */
  bound: string;
}

export const ANY_INTEGER: NumberRule = { integer: true, accepts: () => true, bound: "an integer" };
export const NON_NEGATIVE_INTEGER: NumberRule = { integer: true, accepts: (value) => value >= 0, bound: "at least 0" };
/** Whether a number survives as a float32, the type activations and the values written to them have. */
export const isFiniteFloat32 = (value: number) => Number.isFinite(Math.fround(value));
/** A number in a value: it is written into float32 activations, so it must be finite there. */
export const ANY_NUMBER: NumberRule = {
  integer: false,
  accepts: isFiniteFloat32,
  bound: "finite as a 32-bit float (at most about 3.4e38 in size)",
};
/** How many tokens a generate statement generates. */
export const GENERATE_COUNT: NumberRule = { integer: true, accepts: (value) => value >= 1, bound: "at least 1" };

/** Numbers as the language writes them: an optional minus sign (there is no plus sign), and for an int digits only. */
export const INTEGER_TEXT = /^-?[0-9]+$/;
export const NUMBER_TEXT = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

/** Whether a number is written as an integer: 2 and -2 are, 2.0 and 2e0 are not. */
export function isWrittenAsInteger(number: NumberLiteral): boolean {
  return INTEGER_TEXT.test(number.text);
}

/**
 * The bound that `value` breaks under `rule`, for messages ("at least 0"), or undefined if it keeps them all. An
 * integer must be a safe integer: beyond 2^53 - 1 neighbouring integers are the same number, so 2^53 + 1 would
 * silently be 2^53. Any number must be finite: the plan is JSON, which has no infinities.
 */
export function brokenBound(value: number, rule: NumberRule): string | undefined {
  if (!rule.accepts(value)) return rule.bound;
  if (rule.integer && !Number.isSafeInteger(value)) {
    return value > 0 ? `at most ${Number.MAX_SAFE_INTEGER}` : `at least ${Number.MIN_SAFE_INTEGER}`;
  }
  return Number.isFinite(value) ? undefined : "finite";
}

/** Checks `number`, the value of `name`, against `rule`. */
export function checkNumber(name: string, number: NumberLiteral, rule: NumberRule): Diagnostic[] {
  const args = { name, value: number.text };
  if (rule.integer && !isWrittenAsInteger(number)) return [createDiagnostic("expectedInteger", number.range, args)];
  const bound = brokenBound(number.value, rule);
  return bound === undefined ? [] : [createDiagnostic("valueOutOfRange", number.range, { ...args, bound })];
}

/** Whether `number` keeps `rule`, as `checkNumber` checks it. */
export function keepsRule(number: NumberLiteral, rule: NumberRule): boolean {
  return (!rule.integer || isWrittenAsInteger(number)) && brokenBound(number.value, rule) === undefined;
}
