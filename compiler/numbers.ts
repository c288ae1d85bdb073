// Constraints on the numbers written in a program, checked the same way wherever they are written.

import { createDiagnostic } from "./diagnostics.js";
import type { Diagnostic, NumberLiteral } from "./types.js";

export interface NumberRule {
  /** Whether the number must be written as an integer. */
  integer: boolean;
  /** Whether a (finite) value is allowed. */
  accepts: (value: number) => boolean;
  /** The allowed values, for the message: "at least 0". */
  bound: string;
}

export const ANY_INTEGER: NumberRule = { integer: true, accepts: () => true, bound: "finite" };
export const NON_NEGATIVE_INTEGER: NumberRule = { integer: true, accepts: (value) => value >= 0, bound: "at least 0" };
export const ANY_NUMBER: NumberRule = { integer: false, accepts: () => true, bound: "finite" };
/** How many tokens a generate statement generates. */
export const GENERATE_COUNT: NumberRule = { integer: true, accepts: (value) => value >= 1, bound: "at least 1" };

/** Whether a number is written as an integer: 2 and -2 are, 2.0 and 2e0 are not. */
export function isWrittenAsInteger(number: NumberLiteral): boolean {
  return /^-?[0-9]+$/.test(number.text);
}

/**
 * Checks `number`, the value of `name`, against `rule`. A number too large to represent (1e999) is out of every
 * range: the plan is JSON, which has no infinities.
 */
export function checkNumber(name: string, number: NumberLiteral, rule: NumberRule): Diagnostic[] {
  const args = { name, value: number.text };
  if (rule.integer && !isWrittenAsInteger(number)) return [createDiagnostic("expectedInteger", number.range, args)];
  if (!Number.isFinite(number.value) || !rule.accepts(number.value)) {
    return [createDiagnostic("valueOutOfRange", number.range, { ...args, bound: rule.bound })];
  }
  return [];
}
