// Small queries over the AST shared by the checks and the planner.

import type {
  CaptureSource,
  Expression,
  Identifier,
  MetricCall,
  NumberOrName,
  Program,
  SiteRead,
  Statement,
  StringOrName,
} from "./ast.js";

export type StatementOfKind<Kind extends Statement["kind"]> = Extract<Statement, { kind: Kind }>;

/** What a pass does with each kind of statement it has business with; the others fall to its default. */
export type StatementCases<Result> = { [Kind in Statement["kind"]]?: (statement: StatementOfKind<Kind>) => Result };

/**
 * A visitor with a default: the case for the statement's kind, else `otherwise`. A pass names only the kinds it
 * has business with, so a new kind of statement touches only the passes that care about it (docs/architecture.md,
 * "Adding a statement kind").
 */
export function onStatement<Result>(
  statement: Statement,
  cases: StatementCases<Result>,
  otherwise: (statement: Statement) => Result,
): Result {
  // The mapped type pairs each kind with its statement type; TypeScript cannot follow that through the index.
  const handle = cases[statement.kind] as ((statement: Statement) => Result) | undefined;
  return handle ? handle(statement) : otherwise(statement);
}

export type BinaryOperator = Extract<Expression, { kind: "binary" }>["operator"];

/** What each operator computes, elementwise: one table for the compiler's constant checks and the runtime. */
export const ARITHMETIC: Record<BinaryOperator, (left: number, right: number) => number> = {
  "+": (left, right) => left + right,
  "-": (left, right) => left - right,
  "*": (left, right) => left * right,
  "/": (left, right) => left / right,
};

/** The statements of one kind, in source order. */
export function statementsOfKind<Kind extends Statement["kind"]>(
  program: Program,
  kind: Kind,
): StatementOfKind<Kind>[] {
  return program.statements.filter((statement): statement is StatementOfKind<Kind> => statement.kind === kind);
}

/** Whether a value is written as the name of a parameter or sweep variable rather than as a literal. */
export function isName(value: NumberOrName | StringOrName): value is Identifier {
  return "name" in value;
}

/** The value of an intervention: what `add` and `set` write, what `scale` multiplies by. */
export function valueOf(statement: Statement): Expression | undefined {
  return onStatement<Expression | undefined>(
    statement,
    { add: (s) => s.value, set: (s) => s.value, scale: (s) => s.factor },
    () => undefined,
  );
}

/** `expression` and every expression inside it, outermost first. */
export function subexpressions(expression: Expression): Expression[] {
  switch (expression.kind) {
    case "binary":
      return [expression, ...subexpressions(expression.left), ...subexpressions(expression.right)];
    case "negate":
      return [expression, ...subexpressions(expression.operand)];
    default:
      return [expression];
  }
}

/** The `SITE of SOURCE` reads of a statement: a `let`, or the inline captures in an intervention's value. */
export function siteReads(statement: Statement): SiteRead[] {
  if (statement.kind === "let") return [statement];
  const value = valueOf(statement);
  if (value === undefined) return [];
  return subexpressions(value).filter((expression) => expression.kind === "activation");
}

/** The names of captures a statement uses: the names in its value that `isParam` does not claim. */
export function captureReferences(statement: Statement, isParam: (name: string) => boolean): Identifier[] {
  const value = valueOf(statement);
  if (value === undefined) return [];
  return subexpressions(value).flatMap((expression) =>
    expression.kind === "capture" && !isParam(expression.name.name) ? [expression.name] : [],
  );
}

/** The names of prompts a statement refers to (string-literal sources are prompts without a name). */
export function promptReferences(statement: Statement): Identifier[] {
  const sources = siteReads(statement).flatMap(({ source }) => (source.kind === "prompt" ? [source.prompt] : []));
  const intervention = (s: { prompt: Identifier }) => [...sources, s.prompt];
  return onStatement<Identifier[]>(
    statement,
    {
      let: () => sources,
      generate: (s) => [s.prompt, ...s.measures.flatMap((measure) => metricPrompts(measure.metric))],
      measure: (s) => [s.prompt, ...metricPrompts(s.metric)],
      patch: (s) => [s.source.prompt, s.target.prompt],
      mean: (s) => [s.prompt, ...s.over.prompts],
      add: intervention,
      set: intervention,
      scale: intervention,
      zero: intervention,
    },
    () => [],
  );
}

/**
 * The prompts whose runs a statement reads, as the interventions on them stand at that statement: what makes an
 * earlier intervention on them matter.
 */
export function promptReads(statement: Statement): string[] {
  const sources = siteReads(statement).map(({ source }) => sourcePromptName(source));
  return onStatement<string[]>(
    statement,
    {
      patch: (s) => [s.source.prompt.name],
      mean: (s) => s.over.prompts.map((prompt) => prompt.name),
      generate: (s) => [s.prompt.name, ...s.measures.flatMap((m) => metricPrompts(m.metric).map((p) => p.name))],
      measure: (s) => [s.prompt.name, ...metricPrompts(s.metric).map((p) => p.name)],
    },
    () => sources,
  );
}

/** The prompts a metric names: `kl(P)`, and `clean=` and `corrupt=` of `normalized`, inner metrics included. */
export function metricPrompts(call: MetricCall): Identifier[] {
  return call.args.flatMap((arg) => {
    if (arg.kind === "call") return metricPrompts(arg.call);
    if (arg.kind === "keyword") return [arg.value];
    return call.name.name === "kl" && arg.kind === "name" ? [arg.name] : [];
  });
}

/**
 * The plan's name for the prompt a capture reads: a declared prompt's own name, or for a string literal the
 * literal as JSON (`"\"Lily\""`), which no declared name can equal since names can't contain quotes.
 */
export function sourcePromptName(source: CaptureSource): string {
  return source.kind === "prompt" ? source.prompt.name : JSON.stringify(source.text.value);
}

/** Each item whose key an earlier item has already, with that earlier item. Items without a key are skipped. */
export function repeats<Item>(
  items: readonly Item[],
  keyOf: (item: Item) => string | undefined,
): { repeat: Item; first: Item }[] {
  const firstByKey = new Map<string, Item>();
  const found: { repeat: Item; first: Item }[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const first = firstByKey.get(key);
    if (first === undefined) firstByKey.set(key, item);
    else found.push({ repeat: item, first });
  }
  return found;
}
