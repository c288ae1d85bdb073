// Checks of parameters and sweep variables: their declarations, the names written where literals may stand, and
// the checks of literals applied to the values the parameters take. Parameters may be declared anywhere, like
// prompts. A run may set a parameter to another value than its default; such values are checked when the plan is
// bound (bind.ts) and against the model, with the same rules.

import { captureReferences, repeats, statementsOfKind } from "../grammar/ast-queries.js";
import { createDiagnostic, diagnosticAt } from "../foundation/diagnostics.js";
import { describeBindings, withArticle } from "../foundation/text.js";
import { closestName, didYouMean } from "./edit-distance.js";
import { ANY_INTEGER, checkNumber } from "./numbers.js";
import {
  declarationKind,
  fillParamSlots,
  fitsSlot,
  isNumberLiteral,
  literalType,
  MAX_SWEEP_GRID_POINTS,
  MAX_SWEEP_VALUES,
  numberRuleOf,
  paramUses,
  sweepListType,
  sweepRangeCount,
  type ParamDeclaration,
  type ParamSlot,
  type ParamType,
  type ParamUse,
} from "./params.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type {
  Identifier,
  NumberLiteral,
  ParamStatement,
  Program,
  Statement,
  StringLiteral,
  SweepStatement,
} from "../grammar/ast.js";
import type { ParamValue } from "./plan-ir.js";
import type { SourceRange } from "../foundation/source.js";

type Declarations = ReadonlyMap<string, ParamDeclaration>;

export function checkParams(program: Program, declarations: Declarations): Diagnostic[] {
  const statements = program.statements.filter(
    (statement): statement is ParamStatement | SweepStatement =>
      statement.kind === "param" || statement.kind === "sweep",
  );
  return [
    ...checkDuplicates(statements),
    ...checkNamesTaken(program, declarations),
    ...statements.flatMap((statement) =>
      statement.kind === "param"
        ? checkLiteral("a parameter's default", statement.default, literalType(statement.default))
        : checkSweep(statement),
    ),
    ...checkSweepGrid(declarations),
    ...checkUses(program, declarations),
  ];
}

function checkDuplicates(statements: (ParamStatement | SweepStatement)[]): Diagnostic[] {
  return repeats(statements, (statement) => statement.name.name).map(({ repeat, first }) =>
    diagnosticAt("duplicateParam", repeat, "name", { name: repeat.name.name }, [
      { message: `'${first.name.name}' is first declared here`, range: first.name.range },
    ]),
  );
}

/** Prompts, captures and parameters share names: a name in a value or a selector must tell which it is. */
function checkNamesTaken(program: Program, declarations: Declarations): Diagnostic[] {
  const others = [
    ...statementsOfKind(program, "prompt").map((prompt) => ({ other: "prompt", name: prompt.name })),
    ...statementsOfKind(program, "let").map((capture) => ({ other: "capture", name: capture.name })),
  ];
  return [...declarations.values()].flatMap(({ statement }) =>
    others
      .filter(({ name }) => name.name === statement.name.name)
      .map(({ other, name }) =>
        diagnosticAt(
          "paramNameTaken",
          statement,
          "name",
          { name: name.name, other, kind: declarationKind(statement) },
          [{ message: `the ${other} '${name.name}' is defined here`, range: name.range }],
        ),
      ),
  );
}

/** Checks a number that is a value of `type`: an int's must be a safe integer, a float's finite. */
function checkLiteral(name: string, literal: NumberLiteral | StringLiteral, type: ParamType): Diagnostic[] {
  return isNumberLiteral(literal) && type !== "string" ? checkNumber(name, literal, numberRuleOf(type)) : [];
}

function checkSweep(sweep: SweepStatement): Diagnostic[] {
  const { values } = sweep;
  if (values.kind === "range") {
    const { from, to } = values;
    const problems = [from, to].flatMap((end) => checkNumber("a sweep range's end", end, ANY_INTEGER));
    if (problems.length > 0) return problems;
    const count = sweepRangeCount(values);
    if (count < 1) return [diagnosticAt("reversedSweepRange", sweep, "values", { from: from.text, to: to.text })];
    return count > MAX_SWEEP_VALUES ? [tooLarge(count, values.range)] : [];
  }
  const [first] = values.items;
  if (first === undefined) return [diagnosticAt("emptySweep", sweep, "values", {})];
  // A list with items has a type.
  const type = sweepListType(values.items)!;
  const diagnostics = values.items.length > MAX_SWEEP_VALUES ? [tooLarge(values.items.length, values.range)] : [];
  for (const item of values.items) {
    for (const diagnostic of checkLiteral("a sweep value", item, type)) diagnostics.push(diagnostic);
    if (isNumberLiteral(item) !== isNumberLiteral(first)) {
      diagnostics.push(
        createDiagnostic("mixedSweepValues", item.range, {
          value: written(item),
          type: isNumberLiteral(item) ? "a number" : "a string",
          first: written(first),
          firstType: isNumberLiteral(first) ? "a number" : "a string",
        }),
      );
    }
  }
  // 1 and 1.0 are the same value, but "1" is another.
  for (const { repeat, first: earlier } of repeats(values.items, (item) => JSON.stringify(item.value))) {
    diagnostics.push(
      createDiagnostic("duplicateSweepValue", repeat.range, { value: written(repeat) }, [
        { message: `${written(earlier)} is first listed here`, range: earlier.range },
      ]),
    );
  }
  return diagnostics;
}

const written = (literal: NumberLiteral | StringLiteral): string =>
  isNumberLiteral(literal) ? literal.text : JSON.stringify(literal.value);

function tooLarge(count: number, range: SourceRange): Diagnostic {
  return createDiagnostic("sweepTooLarge", range, { count, max: MAX_SWEEP_VALUES });
}

/**
 * The sweeps form a grid, and binding the plan lists every point, so their sizes multiply: reported at the sweep
 * that takes the grid over its limit. A sweep without values has its own problem, reported already.
 */
function checkSweepGrid(declarations: Declarations): Diagnostic[] {
  let points = 1;
  for (const { statement, values } of declarations.values()) {
    if (statement.kind !== "sweep" || values.length === 0) continue;
    points *= values.length;
    if (points > MAX_SWEEP_GRID_POINTS) {
      return [createDiagnostic("sweepGridTooLarge", statement.range, { count: points, max: MAX_SWEEP_GRID_POINTS })];
    }
  }
  return [];
}

/**
 * Resolves every name written where a literal may stand: it must be a parameter, of a type that fits the place.
 * Reports parameters nothing uses; one suggested for a misspelt name counts as used, the misspelling being the
 * one problem.
 */
function checkUses(program: Program, declarations: Declarations): Diagnostic[] {
  const isParam = (name: string) => declarations.has(name);
  const prompts = new Set(statementsOfKind(program, "prompt").map((prompt) => prompt.name.name));
  const captures = new Set(statementsOfKind(program, "let").map((capture) => capture.name.name));
  const used = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const statement of program.statements) {
    for (const { name, slot } of paramUses(statement, isParam)) {
      const declaration = declarations.get(name.name);
      if (declaration === undefined) {
        const closest = closestName(name.name, declarations.keys());
        if (closest !== undefined) used.add(closest);
        const suggestion = prompts.has(name.name)
          ? `; '${name.name}' is a prompt, not a parameter`
          : captures.has(name.name)
            ? `; '${name.name}' is a capture, not a parameter`
            : didYouMean(closest);
        diagnostics.push(createDiagnostic("undefinedParam", name.range, { name: name.name, suggestion }));
        continue;
      }
      used.add(name.name);
      if (declaration.type !== undefined && !fitsSlot(declaration.type, slot)) {
        diagnostics.push(typeMismatch({ name, slot }, { ...declaration, type: declaration.type }));
      }
    }
    // A name in a value that is neither a parameter nor any capture is reported as a capture, with the nearest
    // name suggested among captures and parameters alike.
    for (const name of captureReferences(statement, isParam)) {
      if (captures.has(name.name)) continue;
      const closest = closestName(name.name, [...captures, ...declarations.keys()]);
      if (closest !== undefined) used.add(closest);
    }
  }
  for (const [name, { statement }] of declarations) {
    // A name that a prompt or a capture has is the one problem, reported already.
    if (used.has(name) || prompts.has(name) || captures.has(name)) continue;
    diagnostics.push(diagnosticAt("unusedParam", statement, "name", { name, kind: declarationKind(statement) }));
  }
  return diagnostics;
}

const EXPECTED: Record<NonNullable<ParamSlot["takes"]>, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  "int or string": "an integer or a string",
};

function typeMismatch({ name, slot }: ParamUse, { type, statement }: ParamDeclaration & { type: string }): Diagnostic {
  return createDiagnostic("paramTypeMismatch", name.range, {
    name: name.name,
    declared: `${withArticle(type)} ${declarationKind(statement)}`,
    use: slot.use,
    expected: EXPECTED[slot.takes!],
  });
}

// ---------------------------------------------------------------------------------------------
// Checks of literals, applied to the values parameters take

/**
 * The most combinations of parameter values checked per statement. A single sweep is always checked whole; of a
 * larger grid, the first combinations are, and the rest only when the plan is bound and checked against the model.
 */
const MAX_CHECKED_BINDINGS = MAX_SWEEP_VALUES;

/**
 * Checks `statement` as `checkLiterals` checks literals, once for each combination of the values that the
 * parameters it uses take as compiled (defaults and sweep values), as if they were written in its place. A problem
 * that only some values have is reported once, where it is, with the values that show it: "L must be at least 0,
 * got -1 (when l = -1)". A use of a parameter whose type doesn't fit the place is left as it is: that is its
 * problem, reported already.
 */
export function checkEachBinding(
  statement: Statement,
  declarations: Declarations,
  checkLiterals: (statement: Statement) => Diagnostic[],
): Diagnostic[] {
  const isParam = (name: string) => declarations.has(name);
  const fits = ({ name, slot }: ParamUse) => {
    const type = declarations.get(name.name)?.type;
    return type !== undefined && fitsSlot(type, slot);
  };
  const uses = paramUses(statement, isParam).filter(fits);
  if (uses.length === 0) return [];
  const withoutValues = new Set(checkLiterals(statement).map(identity));
  const found = new Map<string, Diagnostic>();
  let checked = 0;
  for (const binding of combinations([...new Set(uses.map(({ name }) => name.name))], declarations)) {
    if (checked++ === MAX_CHECKED_BINDINGS) break;
    const fill = (name: Identifier, slot: ParamSlot) => (fits({ name, slot }) ? binding.get(name.name) : undefined);
    const instance = fillParamSlots(statement, isParam, fill);
    for (const diagnostic of checkLiterals(instance)) {
      const place = placeOf(diagnostic);
      if (withoutValues.has(identity(diagnostic)) || found.has(place)) continue;
      found.set(place, {
        ...diagnostic,
        message: `${diagnostic.message} (when ${describe(binding, uses, diagnostic)})`,
      });
    }
  }
  return [...found.values()];
}

/** A problem of some kind at some place: each is reported once, for the first values that show it. */
const placeOf = (diagnostic: Diagnostic): string =>
  `${diagnostic.code} ${diagnostic.range.start.offset} ${diagnostic.range.end.offset}`;
/** A problem as reported: those the statement has whatever the values are already reported without them. */
const identity = (diagnostic: Diagnostic): string => `${placeOf(diagnostic)} ${diagnostic.message}`;

/** Every combination of the values of the parameters `names`, the first varying slowest. */
function* combinations(names: readonly string[], declarations: Declarations): Generator<Map<string, ParamValue>> {
  const [name, ...rest] = names;
  if (name === undefined) return yield new Map();
  for (const value of new Set(declarations.get(name)!.values)) {
    for (const binding of combinations(rest, declarations)) yield new Map([[name, value], ...binding]);
  }
}

/**
 * The binding of the parameters written inside the diagnostic's range or its related ranges ("a = 3, b = 1"), or
 * of all the statement's parameters when it is reported elsewhere.
 */
function describe(binding: ReadonlyMap<string, ParamValue>, uses: ParamUse[], diagnostic: Diagnostic): string {
  const ranges = [diagnostic.range, ...(diagnostic.related ?? []).map((related) => related.range)];
  const inside = (range: SourceRange) =>
    ranges.some((outer) => outer.start.offset <= range.start.offset && range.end.offset <= outer.end.offset);
  const shown = new Set(uses.filter(({ name }) => inside(name.range)).map(({ name }) => name.name));
  const names = shown.size > 0 ? [...shown] : [...binding.keys()];
  return describeBindings(names.map((name) => [name, binding.get(name)!]));
}
