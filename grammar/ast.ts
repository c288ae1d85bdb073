// The AST: what the grammar builds from the CST, with a source range on every node for diagnostics.

import type { SourceRange } from "../foundation/source.js";

export interface Identifier {
  name: string;
  range: SourceRange;
}

export interface StringLiteral {
  /** The value after escapes are resolved. */
  value: string;
  range: SourceRange;
}

export interface NumberLiteral {
  value: number;
  /** The text as written, kept so that a formatter can reproduce it. */
  text: string;
  range: SourceRange;
}

/**
 * A number as written, or the name of a parameter or sweep variable standing for one. A name is told apart by its
 * `name` (see `isName` in grammar/ast-queries.ts).
 */
export type NumberOrName = NumberLiteral | Identifier;

/** A string as written, or the name of a parameter or sweep variable standing for one. */
export type StringOrName = StringLiteral | Identifier;

export interface ModelStatement {
  kind: "model";
  ref: StringLiteral;
  range: SourceRange;
}

export interface PromptStatement {
  kind: "prompt";
  name: Identifier;
  text: StringOrName;
  range: SourceRange;
}

/** `param NAME = DEFAULT`: a value that may be set for each run; its type is the default's. */
export interface ParamStatement {
  kind: "param";
  name: Identifier;
  default: NumberLiteral | StringLiteral;
  range: SourceRange;
}

/** `sweep NAME in …`: the experiment runs once per value. */
export interface SweepStatement {
  kind: "sweep";
  name: Identifier;
  values: SweepValues;
  range: SourceRange;
}

export type SweepValues =
  /** `a..b`: the integers from a to b, both included. */
  | { kind: "range"; from: NumberLiteral; to: NumberLiteral; range: SourceRange }
  /** `[x, y, …]`, brackets included in the range, so that an empty list still has a place to report. */
  | { kind: "list"; items: (NumberLiteral | StringLiteral)[]; range: SourceRange };

/** `sample temperature=0.8 top_k=40`: random sampling instead of greedy decoding. */
export interface SamplingClause {
  options: SamplingOption[];
  /** From `sample` to the last option. */
  range: SourceRange;
}

/** One `name=value` of a sampling clause. The name is checked, not parsed, so a misspelt one gets a suggestion. */
export interface SamplingOption {
  key: Identifier;
  value: NumberOrName;
  range: SourceRange;
}

export interface GenerateStatement {
  kind: "generate";
  count: NumberOrName;
  prompt: Identifier;
  sampling?: SamplingClause;
  stop?: StringOrName;
  /** `measure prob(" Lily") at step=3`: measures of the generation, at steps or of its text. */
  measures: GenerateMeasure[];
  range: SourceRange;
}

/** A measure of a generation: `measure [NAME =] METRIC [at step=N | at step=*]`. */
export interface GenerateMeasure {
  /** Absent: the measure is named by its metric as written. */
  name?: Identifier;
  metric: MetricCall;
  at?: Selector;
  range: SourceRange;
}

/** `measure NAME = METRIC of PROMPT [at pos=I]`: a number read from the model's next-token distribution. */
export interface MeasureStatement {
  kind: "measure";
  name: Identifier;
  metric: MetricCall;
  prompt: Identifier;
  at?: Selector;
  range: SourceRange;
}

/** `logit_diff(" She", " He")`: a metric's name and arguments, as written; which takes which is a check. */
export interface MetricCall {
  name: Identifier;
  args: MetricArgument[];
  /** The call as written, which names an unnamed measure in results. */
  text: string;
  range: SourceRange;
}

export type MetricArgument =
  /** A metric inside another: `normalized(logit_diff(" She", " He"), …)`. */
  | { kind: "call"; call: MetricCall; range: SourceRange }
  /** `clean=P`. */
  | { kind: "keyword"; key: Identifier; value: Identifier; range: SourceRange }
  /** A prompt, as `kl(P)` takes one. */
  | { kind: "name"; name: Identifier; range: SourceRange }
  /** The text of one token as it decodes in context (`" She"`), or the text `contains` looks for. */
  | { kind: "text"; text: StringLiteral; range: SourceRange }
  /** `#338`: a token by its vocabulary id. */
  | { kind: "tokenId"; id: number; range: SourceRange }
  | { kind: "number"; number: NumberLiteral; range: SourceRange };

/** One `key=value` in brackets: `L=2`, `pos=-1`. The key is checked, not parsed, so a misspelt one gets a suggestion. */
export interface Selector {
  key: Identifier;
  value: SelectorValue;
  range: SourceRange;
}

/** A selector's value as written. Which keys take which values is a check, not grammar. */
export type SelectorValue =
  /** An integer (negative ones count back from the last prompt token), or a mistaken decimal. */
  | { kind: "number"; number: NumberLiteral; range: SourceRange }
  /** `a..b`, inclusive. */
  | { kind: "span"; from: NumberOrName; to: NumberOrName; range: SourceRange }
  /** A parameter or sweep variable: a number, or for `pos` a text if it is a string. */
  | { kind: "param"; name: Identifier; range: SourceRange }
  /** `"Lily"`: the tokens covering the last occurrence of the text. */
  | { kind: "text"; text: StringLiteral; range: SourceRange }
  /** `prompt`, `new` (the generated positions) and `*` (all positions). */
  | { kind: "prompt" | "new" | "all"; range: SourceRange };

/** An activation site with its selectors, `resid[L=2, pos=-1]`. The name is checked against the site catalogue. */
export interface SiteReference {
  name: Identifier;
  selectors: Selector[];
  range: SourceRange;
}

/** Where activations are read: a declared prompt, or a string literal run as a prompt of its own. */
export type CaptureSource =
  | { kind: "prompt"; prompt: Identifier; range: SourceRange }
  | { kind: "text"; text: StringLiteral; range: SourceRange };

/** `SITE of SOURCE`: the activations of a site in a prefill run of the source. */
export interface SiteRead {
  site: SiteReference;
  source: CaptureSource;
}

export type Expression =
  | { kind: "number"; number: NumberLiteral; range: SourceRange }
  /**
   * A name: a parameter or sweep variable if one is declared by that name (anywhere in the file), else a capture
   * defined by an earlier `let`. The grammar can't tell them apart; the checks and the planner do.
   */
  | { kind: "capture"; name: Identifier; range: SourceRange }
  /** An inline capture, `resid[L=2] of "Lily"`. */
  | ({ kind: "activation"; range: SourceRange } & SiteRead)
  | { kind: "binary"; operator: "+" | "-" | "*" | "/"; left: Expression; right: Expression; range: SourceRange }
  | { kind: "negate"; operand: Expression; range: SourceRange };

/** One side of a patch: a prompt, with selectors that override the site's selectors on this side. */
export interface PatchSide {
  prompt: Identifier;
  selectors: Selector[];
  range: SourceRange;
}

export interface PatchStatement {
  kind: "patch";
  site: SiteReference;
  source: PatchSide;
  target: PatchSide;
  range: SourceRange;
}

/** `let NAME = SITE of SOURCE`; `export let` also puts the capture in the run's output. */
export interface LetStatement extends SiteRead {
  kind: "let";
  exported: boolean;
  name: Identifier;
  range: SourceRange;
}

/** The part every intervention shares: `SITE in PROMPT`. */
export interface SiteInPrompt {
  site: SiteReference;
  prompt: Identifier;
}

export interface AddStatement extends SiteInPrompt {
  kind: "add";
  value: Expression;
  range: SourceRange;
}

export interface SetStatement extends SiteInPrompt {
  kind: "set";
  value: Expression;
  range: SourceRange;
}

export interface ScaleStatement extends SiteInPrompt {
  kind: "scale";
  factor: Expression;
  range: SourceRange;
}

export interface ZeroStatement extends SiteInPrompt {
  kind: "zero";
  range: SourceRange;
}

/** `over a, b`: the prompts a mean ablation averages. */
export interface PromptList {
  prompts: Identifier[];
  /** From `over` to the last name, so that an empty list still has a place to report. */
  range: SourceRange;
}

export interface MeanStatement extends SiteInPrompt {
  kind: "mean";
  over: PromptList;
  range: SourceRange;
}

export type Statement =
  | ModelStatement
  | PromptStatement
  | ParamStatement
  | SweepStatement
  | GenerateStatement
  | PatchStatement
  | LetStatement
  | AddStatement
  | SetStatement
  | ScaleStatement
  | ZeroStatement
  | MeanStatement
  | MeasureStatement;

export interface Comment {
  /** The comment text without the leading `#`. */
  text: string;
  range: SourceRange;
}

export interface Program {
  statements: Statement[];
  comments: Comment[];
  range: SourceRange;
}
