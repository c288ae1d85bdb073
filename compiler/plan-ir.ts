// The plan IR: what the compiler hands to the runtime and to code generation, and the results a run returns.
// JSON-serializable and public: extend these shapes, never rename fields (plans are versioned by PLAN_VERSION).

import type { SourceRange } from "../foundation/source.js";

export const PLAN_VERSION = 2;

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

/** A token a metric reads: the text of exactly one vocabulary token as it decodes in context, or its id. */
export type TokenRef = ({ text: string } | { id: number }) & { at?: SourceRange };

/** A number (or a few) read from a next-token distribution. See docs/language.md, "measure". */
export type Metric<N = number> =
  | { kind: "logit" | "prob" | "logprob" | "rank"; token: TokenRef }
  | { kind: "logit_diff"; a: TokenRef; b: TokenRef }
  | { kind: "topk"; k: N }
  | { kind: "entropy" }
  /** KL(P ‖ this): from prompt P's distribution as it stands at the statement, to this one. */
  | { kind: "kl"; prompt: string }
  /** (metric − corrupt) / (clean − corrupt), clean and corrupt being the metric on those prompts without interventions. */
  | { kind: "normalized"; metric: Metric<N>; clean: string; corrupt: string }
  /** Of a generation only: whether its text contains this text. */
  | { kind: "contains"; text: string };

/** A measure of a generation: at one step (0 = the distribution of the first new token), at every step, or of its text. */
export interface GenerationMeasure<N = number> {
  name: string;
  metric: Metric<N>;
  /** The metric as written, as results name it. */
  metricText: string;
  step?: N | "all";
  at?: SourceRange;
}

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
      measures?: GenerationMeasure<N>[];
      at?: SourceRange;
    }
  /** Reads `prompt`'s next-token distribution at `position` (the last prompt token when absent). */
  | {
      kind: "measure";
      name: string;
      prompt: string;
      metric: Metric<N>;
      metricText: string;
      position?: PositionSpec<N, S>;
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
  /** The vocabulary's piece for each prompt token ("▁Once", "Ġthe"). */
  promptPieces: string[];
  /** The prompt positions the run's interventions write, and whether they write generated positions too. */
  intervened: { positions: number[]; generated: boolean };
  /** Generated token ids. */
  tokens: number[];
  /** The decoding of `tokens`. */
  text: string;
  /** Why generation ended: the end-of-text token, the token count, or the stop text. */
  stopReason: "eos" | "limit" | "stop-text";
  sampling: SamplingSpec;
  /** The bound steps that act on this run: the interventions on its prompt written before its generate. */
  interventions: PlanStep[];
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

/** What a measure read: a number, a truth (`contains`), one number per step (`step=*`), or the top tokens. */
export type MeasureValue = number | boolean | number[] | { token: number; piece: string; prob: number }[];

export interface MeasureResult {
  name: string;
  prompt: string;
  /** The metric as written: `logit_diff(" She", " He")`. */
  metric: string;
  bindings: Record<string, ParamValue>;
  value: MeasureValue;
}

export interface RunResult {
  planVersion: typeof PLAN_VERSION;
  runs: GenerationResult[];
  /** One per measure per sweep point, in statement order within each point. */
  measures?: MeasureResult[];
  /** Present when the plan exports captures. */
  captures?: CaptureResult[];
}
