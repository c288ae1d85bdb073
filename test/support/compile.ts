// Helpers for tests of the compiler, written once, in the style of Langium's `expectError(src, code)`.

import { expect } from "vitest";
import { compile } from "../../compiler/index.js";
import type { Diagnostic } from "../../foundation/diagnostics.js";
import type { Plan } from "../../compiler/plan-ir.js";
import type { SourceRange } from "../../foundation/source.js";
import { startOf } from "./ranges.js";

/** Compiles a program that must produce a plan and no diagnostics at all. */
export function expectValid(source: string): Plan {
  const { plan, diagnostics } = compile(source);
  expect(diagnostics).toEqual([]);
  expect(plan).toBeDefined();
  return plan!;
}

/** Compiles a program that must produce a plan without errors; warnings are allowed. */
export function expectNoErrors(source: string): Plan {
  const { plan, diagnostics } = compile(source);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(plan).toBeDefined();
  return plan!;
}

/** A plan, or a part of one, as JSON without its source locations (`at`), which have their own tests. */
export const withoutLocations = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, field: unknown) => (key === "at" ? undefined : field)));

/** Asserts that compiling `source` fails with `code` (at `line:col`, if given) and returns that diagnostic. */
export function expectError(source: string, code: string, at?: string): Diagnostic {
  const { plan, diagnostics } = compile(source);
  expect(plan).toBeUndefined();
  const found = diagnostics.find((diagnostic) => diagnostic.code === code);
  expect(found, `no ${code} in ${JSON.stringify(diagnostics.map((d) => d.code))}`).toBeDefined();
  expect(found!.severity).toBe("error");
  if (at !== undefined) expect(startOf(found!.range)).toBe(at);
  return found!;
}

/** The diagnostic codes of compiling `source`, in order. */
export const codes = (source: string): string[] => compile(source).diagnostics.map((diagnostic) => diagnostic.code);

/** Each diagnostic of compiling `source` as "CODE line:col". */
export const located = (source: string): string[] =>
  compile(source).diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`);

/** A model and a prompt, to start a program with. */
export const header = 'model "stories260K"\nprompt story = "Once"\n';

/** The range of the first occurrence of `snippet` in `source`, computed independently of the compiler. */
export function rangeOf(source: string, snippet: string): SourceRange {
  const offset = source.indexOf(snippet);
  if (offset < 0) throw new Error(`${snippet} is not in the source`);
  const positionAt = (at: number) => {
    const lines = source.slice(0, at).split("\n");
    return { offset: at, line: lines.length, column: lines.at(-1)!.length + 1 };
  };
  return { start: positionAt(offset), end: positionAt(offset + snippet.length) };
}

/**
 * A program around `statements`, which start on line 4. Prompts a and b are declared and generated from, so
 * that a valid program has no diagnostics at all.
 */
export const experiment = (...statements: string[]): string =>
  ['model "m"', 'prompt a = "A b c"', 'prompt b = "B c d"', ...statements, "generate 1 from a; generate 1 from b"].join(
    "\n",
  );

/** The steps of a valid program without their source locations, which have their own tests. */
export function stepsOf(source: string): unknown[] {
  return withoutLocations(expectValid(source).steps) as unknown[];
}

/** The steps of `experiment(...statements)` but the generates it adds. */
export const interventionSteps = (...statements: string[]): unknown[] =>
  stepsOf(experiment(...statements)).slice(0, -2);

/** The steps and parameters of a valid program, without source locations. */
export function templateOf(source: string): Pick<Plan, "params" | "sweeps" | "prompts"> & { steps: unknown[] } {
  const { params, sweeps, prompts } = expectValid(source);
  return { params, sweeps, prompts, steps: stepsOf(source) };
}
