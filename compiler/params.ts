// Parameters and sweep variables: what each declaration declares (a type, and every value it can take as compiled),
// and the places in a statement where a name may stand for a literal. The checks and the planner read both from here.

import { isName, onStatement } from "../grammar/ast-queries.js";
import { ANY_INTEGER, ANY_NUMBER, isWrittenAsInteger, keepsRule, type NumberRule } from "./numbers.js";
import { SAMPLING_OPTIONS } from "./sampling.js";
import { SELECTOR_KEYS } from "./sites.js";
import type {
  Expression,
  Identifier,
  NumberLiteral,
  NumberOrName,
  ParamStatement,
  Program,
  Selector,
  SiteReference,
  Statement,
  StringLiteral,
  StringOrName,
  SweepStatement,
  SweepValues,
} from "../grammar/ast.js";
import type { ParamValue, PlanParam } from "./plan-ir.js";
import type { SourceRange } from "../foundation/source.js";

export type ParamType = PlanParam["type"];

/** The most values a sweep may have: each one is a run of the whole experiment, and the plan lists them all. */
export const MAX_SWEEP_VALUES = 10_000;
/** The most points the sweeps' grid may have: each is a run of the whole experiment, and binding lists them all. */
export const MAX_SWEEP_GRID_POINTS = 10_000;

export interface ParamDeclaration {
  statement: ParamStatement | SweepStatement;
  /** Undefined for an empty sweep list, whose type nothing tells. */
  type: ParamType | undefined;
  /**
   * Every value it takes unless a run sets another: its default, or each sweep value. None when the declaration is
   * invalid (its own problem, reported already), so that no use reports it again.
   */
  values: ParamValue[];
}

/** The parameters and sweep variables of a program by name, in source order; a repeated name keeps its first. */
export function paramDeclarations(program: Program): Map<string, ParamDeclaration> {
  const declarations = new Map<string, ParamDeclaration>();
  for (const statement of program.statements) {
    if (statement.kind !== "param" && statement.kind !== "sweep") continue;
    if (declarations.has(statement.name.name)) continue;
    const declared =
      statement.kind === "param" ? paramDeclaration(statement.default) : sweepDeclaration(statement.values);
    declarations.set(statement.name.name, { statement, ...declared });
  }
  return declarations;
}

/** How messages call what a declaration declares. */
export function declarationKind(statement: ParamStatement | SweepStatement): "parameter" | "sweep variable" {
  return statement.kind === "param" ? "parameter" : "sweep variable";
}

export function isNumberLiteral(literal: NumberLiteral | StringLiteral): literal is NumberLiteral {
  return "text" in literal;
}

/** A literal's type: a number written as an integer is an int, any other number a float. */
export function literalType(literal: NumberLiteral | StringLiteral): ParamType {
  if (!isNumberLiteral(literal)) return "string";
  return isWrittenAsInteger(literal) ? "int" : "float";
}

/**
 * The type of a sweep list: of floats if any number is written as one; a list that mixes numbers and strings (an
 * error) takes its first item's type; an empty list has none.
 */
export function sweepListType(items: readonly (NumberLiteral | StringLiteral)[]): ParamType | undefined {
  const [first, ...rest] = items.map(literalType);
  return first === "string" || first === undefined ? first : [first, ...rest].includes("float") ? "float" : "int";
}

/** What a number of a value of `type` must keep: an int's, a safe integer; a float's, a finite number. */
export function numberRuleOf(type: Exclude<ParamType, "string">): NumberRule {
  return type === "int" ? ANY_INTEGER : ANY_NUMBER;
}

/** The number of values a sweep range would have; only meaningful for integer ends. */
export function sweepRangeCount(values: Extract<SweepValues, { kind: "range" }>): number {
  return values.to.value - values.from.value + 1;
}

function paramDeclaration(value: NumberLiteral | StringLiteral): Omit<ParamDeclaration, "statement"> {
  const type = literalType(value);
  return { type, values: isValidValue(value, type) ? [value.value] : [] };
}

/** A sweep's type and values: a range's are ints; a list's, see `sweepListType`. */
function sweepDeclaration(values: SweepValues): Omit<ParamDeclaration, "statement"> {
  if (values.kind === "range") {
    const { from, to } = values;
    const count = sweepRangeCount(values);
    const isValid =
      keepsRule(from, ANY_INTEGER) && keepsRule(to, ANY_INTEGER) && count >= 1 && count <= MAX_SWEEP_VALUES;
    return { type: "int", values: isValid ? Array.from({ length: count }, (_, i) => from.value + i) : [] };
  }
  const { items } = values;
  const type = sweepListType(items);
  const isValid =
    type !== undefined && items.length <= MAX_SWEEP_VALUES && items.every((item) => isValidValue(item, type));
  return { type, values: isValid ? items.map((item) => item.value) : [] };
}

/** Whether a literal can be a value of `type`: a string of a string, a number of a number type that keeps its rule. */
function isValidValue(literal: NumberLiteral | StringLiteral, type: ParamType): boolean {
  if (!isNumberLiteral(literal)) return type === "string";
  return type !== "string" && keepsRule(literal, numberRuleOf(type));
}

// ---------------------------------------------------------------------------------------------
// Where names stand for literals

/** What a place where a name may stand for a literal takes, and how messages call it ("L", "the stop text"). */
export interface ParamSlot {
  /** Undefined where the place itself is unknown (a misspelt selector or sampling option). */
  takes: "int" | "number" | "string" | "int or string" | undefined;
  use: string;
}

/** A name written where a literal may stand. */
export interface ParamUse {
  name: Identifier;
  slot: ParamSlot;
}

/** Whether a value of `type` may stand where `slot` takes a value. */
export function fitsSlot(type: ParamType, slot: ParamSlot): boolean {
  switch (slot.takes) {
    case undefined:
      return true;
    case "int":
      return type === "int";
    case "number":
      return type !== "string";
    case "string":
      return type === "string";
    case "int or string":
      return type !== "float";
  }
}

/** The names a statement writes where literals may stand, in the order `fillParamSlots` meets them. */
export function paramUses(statement: Statement, isParam: (name: string) => boolean): ParamUse[] {
  const uses: ParamUse[] = [];
  fillParamSlots(statement, isParam, (name, slot) => {
    uses.push({ name, slot });
    return undefined;
  });
  return uses;
}

/**
 * `statement` with each name that stands for a literal passed to `fill`: where `fill` returns a value, the name is
 * replaced by that value written as a literal in the name's place, so that the checks of literals apply to it. A
 * name in a value (`add alpha * x …`) stands for a literal only where `isParam` claims it, being a capture
 * otherwise; everywhere else (selectors, generate counts, sampling options, stop and prompt texts) a name can only
 * be a parameter.
 */
export function fillParamSlots(
  statement: Statement,
  isParam: (name: string) => boolean,
  fill: (name: Identifier, slot: ParamSlot) => ParamValue | undefined,
): Statement {
  const number = (value: NumberOrName, slot: ParamSlot): NumberOrName => {
    if (!isName(value)) return value;
    const filled = fill(value, slot);
    return typeof filled === "number" ? numberLiteral(filled, value.range) : value;
  };
  const string = (value: StringOrName, slot: ParamSlot): StringOrName => {
    if (!isName(value)) return value;
    const filled = fill(value, slot);
    return typeof filled === "string" ? { value: filled, range: value.range } : value;
  };

  const selector = (selector: Selector): Selector => {
    const { key, value } = selector;
    const part = SELECTOR_KEYS.get(key.name);
    if (value.kind === "span") {
      const slot: ParamSlot = { takes: part && "int", use: key.name };
      return { ...selector, value: { ...value, from: number(value.from, slot), to: number(value.to, slot) } };
    }
    if (value.kind !== "param") return selector;
    const takes = part === undefined ? undefined : part === "positions" ? "int or string" : "int";
    const filled = fill(value.name, { takes, use: key.name });
    if (typeof filled === "number") {
      return { ...selector, value: { kind: "number", number: numberLiteral(filled, value.range), range: value.range } };
    }
    if (typeof filled === "string") {
      return { ...selector, value: { kind: "text", text: { value: filled, range: value.range }, range: value.range } };
    }
    return selector;
  };
  const selectors = (list: Selector[]) => list.map(selector);
  const site = (reference: SiteReference): SiteReference => ({
    ...reference,
    selectors: selectors(reference.selectors),
  });

  const expression = (value: Expression): Expression => {
    switch (value.kind) {
      case "number":
        return value;
      case "capture": {
        if (!isParam(value.name.name)) return value;
        const filled = number(value.name, { takes: "number", use: "a value" });
        return isName(filled) ? value : { kind: "number", number: filled, range: value.range };
      }
      case "activation":
        return { ...value, site: site(value.site) };
      case "binary":
        return { ...value, left: expression(value.left), right: expression(value.right) };
      case "negate":
        return { ...value, operand: expression(value.operand) };
    }
  };

  const withSite = <S extends { site: SiteReference }>(s: S): S => ({ ...s, site: site(s.site) });
  const option = (value: NumberOrName, key: string) => {
    const rule = SAMPLING_OPTIONS.get(key)?.rule;
    return number(value, { takes: rule && (rule.integer ? "int" : "number"), use: key });
  };
  return onStatement<Statement>(
    statement,
    {
      prompt: (s) => ({ ...s, text: string(s.text, { takes: "string", use: "a prompt's text" }) }),
      let: withSite,
      zero: withSite,
      mean: withSite,
      patch: (s) => ({
        ...withSite(s),
        source: { ...s.source, selectors: selectors(s.source.selectors) },
        target: { ...s.target, selectors: selectors(s.target.selectors) },
      }),
      add: (s) => ({ ...withSite(s), value: expression(s.value) }),
      set: (s) => ({ ...withSite(s), value: expression(s.value) }),
      scale: (s) => ({ ...withSite(s), factor: expression(s.factor) }),
      generate: (s) => ({
        ...s,
        count: number(s.count, { takes: "int", use: "the generate count" }),
        ...(s.sampling && {
          sampling: {
            ...s.sampling,
            options: s.sampling.options.map((entry) => ({ ...entry, value: option(entry.value, entry.key.name) })),
          },
        }),
        ...(s.stop && { stop: string(s.stop, { takes: "string", use: "the stop text" }) }),
      }),
    },
    // The other declarations (model, param, sweep) have no slots a parameter can fill.
    (s) => s,
  );
}

/** A number written as a literal where a name stood. */
function numberLiteral(value: number, range: SourceRange): NumberLiteral {
  return { value, text: String(value), range };
}
