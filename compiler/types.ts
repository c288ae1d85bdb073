// The one home for the types every stage shares: source locations, diagnostics, the AST and the plan IR.
// Later stages depend on these shapes; extend them, never rename fields (the plan is a public, versioned format).

// ---------------------------------------------------------------------------------------------
// Source locations

/** A point in source text. `offset` is a 0-based UTF-16 index; `line` and `column` are 1-based. */
export interface SourcePosition {
  offset: number;
  line: number;
  column: number;
}

/** A half-open span of source text: `start` is the first character, `end` the position just after the last. */
export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

export type Severity = "error" | "warning";

/** A problem found in user input. Stages return these as data; they never throw on user input. */
export interface Diagnostic {
  /** `PTCH####`, from the catalogue in compiler/diagnostics.ts. */
  code: string;
  severity: Severity;
  message: string;
  range: SourceRange;
  related?: { message: string; range: SourceRange }[];
}

// ---------------------------------------------------------------------------------------------
// AST

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
 * `name` (see `isName` in compiler/ast.ts).
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
  range: SourceRange;
}

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
  | MeanStatement;

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

// ---------------------------------------------------------------------------------------------
// Plan IR: what the compiler hands to the runtime and to code generation. JSON-serializable.

export const PLAN_VERSION = 1;

/**
 * Which model a plan runs on. A `bundled` name resolves inside the package's models/ folder; a `file`
 * path resolves against the directory of the .ptch file (or the caller's `baseDir`).
 */
export type ModelRef = { kind: "bundled"; name: string } | { kind: "file"; path: string };

/**
 * Stands where a literal would in a plan with parameters (`param`, `sweep`); binding the plan replaces each
 * reference with the parameter's value. The plan types take the types of their number and string literals
 * as type parameters: `Plan` allows references, `BoundPlan` (what the runtime executes) does not.
 */
export interface ParamRef {
  param: string;
}

/** A number literal that may be a parameter. */
export type NumberOrParam = number | ParamRef;
/** A string literal that may be a parameter. */
export type StringOrParam = string | ParamRef;

export interface PlanPrompt<S = string> {
  name: string;
  text: S;
}

/** Which positions of a sequence a selection names, before the prompt is tokenized. */
export type PositionSpec<N = number, S = string> =
  /** One position; a negative index counts back from the last prompt token (-1 is the last). */
  | { kind: "index"; index: N }
  /** An inclusive span; either end may be negative. */
  | { kind: "range"; from: N; to: N }
  /** The tokens covering the last occurrence of this text in the prompt. */
  | { kind: "text"; text: S }
  | { kind: "prompt" }
  | { kind: "generated" }
  /** Prompt and generated positions. */
  | { kind: "all" };

/** The activation sites of the llama architecture, by their canonical (TransformerLens) names. */
export type SiteName = "resid" | "attn_out" | "resid_mid" | "mlp_out" | "mlp_hidden" | "z" | "q" | "k" | "v";

/** A site at a layer (and head, for per-head sites), at some positions of one prompt's sequence. */
export interface SiteSelection<N = number, S = string> {
  site: SiteName;
  /** For `resid`, the number of blocks before it (0..nLayers); for the others, the block (0..nLayers-1). */
  layer: N;
  /** For z, q, k and v only; k and v count key/value heads. Absent: every head. */
  head?: N;
  positions: PositionSpec<N, S>;
  /** Where the selection is written, so checks against the model can point at the offending selector. */
  at?: SelectionLocations;
}

/** Source ranges of a selection: the site name, and each selector that set a key (on the site or a prompt). */
export interface SelectionLocations {
  site: SourceRange;
  /** The alias the site was written as (`resid_post`), so that messages speak of what the user wrote. */
  alias?: string;
  layer?: SourceRange;
  head?: SourceRange;
  positions?: SourceRange;
}

/** A value an intervention writes: a number, or activation vectors combined arithmetically. */
export type ValueExpr<N = number, S = string> =
  | { kind: "number"; value: N }
  | { kind: "capture"; name: string }
  /** An inline capture, `SITE of PROMPT`. */
  | { kind: "activation"; prompt: string; site: SiteSelection<N, S> }
  | { kind: "binary"; op: "+" | "-" | "*" | "/"; left: ValueExpr<N, S>; right: ValueExpr<N, S> }
  | { kind: "negate"; operand: ValueExpr<N, S> };

export type SamplingSpec<N = number> =
  { kind: "greedy" } | { kind: "sample"; temperature: N; topK?: N; topP?: N; seed: N };

/**
 * One statement of the experiment, in source order. Captures and patches read a prompt's activations as
 * they are at that point: after the interventions on that prompt written before them.
 */
export type PlanStep<N = number, S = string> =
  | { kind: "capture"; name: string; prompt: string; site: SiteSelection<N, S>; output: boolean }
  | { kind: "patch"; sourcePrompt: string; source: SiteSelection<N, S>; prompt: string; site: SiteSelection<N, S> }
  | { kind: "add"; prompt: string; site: SiteSelection<N, S>; value: ValueExpr<N, S> }
  | { kind: "set"; prompt: string; site: SiteSelection<N, S>; value: ValueExpr<N, S> }
  | { kind: "scale"; prompt: string; site: SiteSelection<N, S>; factor: ValueExpr<N, S> }
  | { kind: "zero"; prompt: string; site: SiteSelection<N, S> }
  | { kind: "mean"; prompt: string; site: SiteSelection<N, S>; over: string[] }
  | {
      kind: "generate";
      prompt: string;
      maxNewTokens: N;
      sampling: SamplingSpec<N>;
      stop?: S;
      at?: SourceRange;
    };

export type ParamValue = number | string;

/** `param NAME = DEFAULT`: its type is inferred from the default. */
export interface PlanParam {
  name: string;
  type: "int" | "float" | "string";
  default: ParamValue;
}

/** `sweep NAME in …`: the experiment runs once per value; several sweeps form a grid (first sweep outermost). */
export interface PlanSweep {
  name: string;
  type: "int" | "float" | "string";
  values: ParamValue[];
}

/** A compiled experiment: what `ptch plan` prints and compiled modules embed. It may use parameters. */
export interface Plan {
  planVersion: typeof PLAN_VERSION;
  model: ModelRef;
  params: PlanParam[];
  sweeps: PlanSweep[];
  prompts: PlanPrompt<StringOrParam>[];
  steps: PlanStep<NumberOrParam, StringOrParam>[];
}

/** A plan with a value for every parameter and sweep: what the runtime executes. */
export interface BoundPlan {
  planVersion: typeof PLAN_VERSION;
  model: ModelRef;
  /** The value of every parameter and sweep variable, as reported in results. */
  bindings: Record<string, ParamValue>;
  prompts: PlanPrompt[];
  steps: PlanStep[];
}

// ---------------------------------------------------------------------------------------------
// Results: what `ptch run --json` prints and what compiled modules return.

export interface GenerationResult {
  prompt: string;
  bindings: Record<string, ParamValue>;
  /** Token ids as the model saw them, BOS included when the tokenizer adds it. */
  promptTokens: number[];
  /** Generated token ids. */
  tokens: number[];
  /** The decoding of `tokens`. */
  text: string;
}

/** A capture marked for output (`export let`): the activation vectors read, one per position. */
export interface CaptureResult {
  name: string;
  bindings: Record<string, ParamValue>;
  prompt: string;
  site: SiteName;
  layer: number;
  head?: number;
  /** Absolute positions in the prompt, one per vector in `values`. */
  positions: number[];
  values: number[][];
}

export interface RunResult {
  planVersion: typeof PLAN_VERSION;
  runs: GenerationResult[];
  /** Present when the plan exports captures. */
  captures?: CaptureResult[];
}
