// `ptch run` as text: each run headed by what was done to it, measures as aligned tables (and as grids over one or
// two sweep variables), and with --tokens each prompt as its pieces, the intervened positions marked.

import { describeBindings } from "../foundation/text.js";
import type {
  GenerationResult,
  MeasureResult,
  MeasureValue,
  ParamValue,
  PlanStep,
  PositionSpec,
  RunResult,
  SiteSelection,
  ValueExpr,
} from "../compiler/plan-ir.js";
import { maxOf, minOf } from "../foundation/numbers.js";

export interface TextOptions {
  /** Show each prompt's tokens. */
  tokens: boolean;
  /** Colour the grids (only on a terminal, never with NO_COLOR). */
  color: boolean;
}

function position(spec: PositionSpec): string {
  switch (spec.kind) {
    case "index":
      return String(spec.index);
    case "range":
      return `${spec.from}..${spec.to}`;
    case "text":
      return JSON.stringify(spec.text);
    case "prompt":
      return "prompt";
    case "generated":
      return "new";
    case "all":
      return "*";
  }
}

/** A selection as the language writes it: `resid[L=3, head=2, pos=-1]`. */
export function describeSelection(selection: SiteSelection): string {
  const head = selection.head === undefined ? "" : `, head=${selection.head}`;
  return `${selection.site}[L=${selection.layer}${head}, pos=${position(selection.positions)}]`;
}

function describeValue(value: ValueExpr): string {
  switch (value.kind) {
    case "number":
      return String(value.value);
    case "capture":
      return value.name;
    case "activation":
      return `${describeSelection(value.site)} of ${value.prompt}`;
    case "negate":
      return `-${describeValue(value.operand)}`;
    case "binary":
      return `(${describeValue(value.left)} ${value.op} ${describeValue(value.right)})`;
  }
}

/** An intervention as the language writes it, without the prompt it acts on (the heading names that). */
export function describeStep(step: PlanStep): string {
  switch (step.kind) {
    case "patch":
      return `patch ${describeSelection(step.site)} from ${step.sourcePrompt}`;
    case "add":
      return `add ${describeValue(step.value)} to ${describeSelection(step.site)}`;
    case "set":
      return `set ${describeSelection(step.site)} to ${describeValue(step.value)}`;
    case "scale":
      return `scale ${describeSelection(step.site)} by ${describeValue(step.factor)}`;
    case "zero":
      return `zero ${describeSelection(step.site)}`;
    case "mean":
      return `mean ${describeSelection(step.site)} over ${step.over.join(", ")}`;
    case "capture":
      return `let ${step.name} = ${describeSelection(step.site)} of ${step.prompt}`;
    case "generate":
      return `generate ${step.maxNewTokens} from ${step.prompt}`;
    case "measure":
      return `measure ${step.name} = ${step.metricText} of ${step.prompt}`;
  }
}

const STOPS: Record<GenerationResult["stopReason"], string> = {
  eos: "stopped at end of text",
  limit: "stopped at the token limit",
  "stop-text": "stopped at the stop text",
};

/** What was done to a run, in a line: `target · patch resid[L=3, pos=-1] from source · l = 3 · greedy, 20 tokens`. */
export function runHeading(run: GenerationResult): string {
  const done = run.interventions.length === 0 ? ["baseline"] : run.interventions.map(describeStep);
  const bindings = Object.keys(run.bindings).length === 0 ? [] : [describeBindings(Object.entries(run.bindings))];
  const sampling =
    run.sampling.kind === "greedy"
      ? "greedy"
      : `sampled (temperature ${run.sampling.temperature}${run.sampling.topK === undefined ? "" : `, top_k ${run.sampling.topK}`}${run.sampling.topP === undefined ? "" : `, top_p ${run.sampling.topP}`}, seed ${run.sampling.seed})`;
  return [run.prompt, ...done, ...bindings, `${sampling}, ${run.tokens.length} tokens, ${STOPS[run.stopReason]}`].join(
    " · ",
  );
}

/** The prompt as its pieces with positions: `0 <s>  1 ▁Once …`, positions an intervention writes marked with *. */
export function tokensLine(run: GenerationResult): string {
  const marked = new Set(run.intervened.positions);
  const pieces = run.promptPieces.map((piece, i) => `${marked.has(i) ? "*" : ""}${i} ${JSON.stringify(piece)}`);
  return `  tokens: ${pieces.join("  ")}${run.intervened.generated ? "  (and every new token)" : ""}`;
}

export function formatMeasureValue(value: MeasureValue): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (typeof value === "boolean") return String(value);
  if (value.length > 0 && typeof value[0] === "object") {
    return (value as { piece: string; prob: number }[])
      .map((t) => `${JSON.stringify(t.piece)} ${t.prob.toFixed(3)}`)
      .join(", ");
  }
  return `[${(value as number[]).map((v) => v.toFixed(4)).join(", ")}]`;
}

/** Rows as columns padded to their widest cell; numbers right-aligned. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = header.map((_, i) => rows.every((r) => /^-?[0-9.]+$|^NaN$/.test(r[i]!)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/** A background colour for t in [0, 1], from blue to red, as a 256-colour ANSI escape. */
function shade(t: number): string {
  const ramp = [21, 27, 33, 39, 45, 231, 214, 208, 202, 196];
  const colour = ramp[Math.min(ramp.length - 1, Math.max(0, Math.floor(t * ramp.length)))]!;
  return `\x1b[48;5;${colour}m\x1b[30m`;
}

/** One measure over one or two sweep variables, laid out for a grid (text) or a heatmap (the report). */
export interface MeasureGrid {
  rowVar: string;
  colVar: string | undefined;
  /** The first variable's values, down. */
  rows: ParamValue[];
  /** The second variable's values, across; one undefined column for a single variable. */
  cols: (ParamValue | undefined)[];
  /** The measure at a point. */
  at: (row: ParamValue, col: ParamValue | undefined) => MeasureResult | undefined;
  /** The smallest and largest finite values. */
  low: number;
  high: number;
  /** Where a value lies between them, from 0 to 1. */
  scale: (value: number) => number;
}

export function measureGrid(measures: readonly MeasureResult[], variables: readonly string[]): MeasureGrid {
  const [rowVar, colVar] = variables as [string, string?];
  const distinct = (v: string) => [...new Set(measures.map((m) => m.bindings[v]!))];
  const numbers = measures.map((m) => m.value as number).filter(Number.isFinite);
  const [low, high] = [minOf(numbers), maxOf(numbers)];
  return {
    rowVar,
    colVar,
    rows: distinct(rowVar),
    cols: colVar === undefined ? [undefined] : distinct(colVar),
    at: (row, col) =>
      measures.find((m) => m.bindings[rowVar] === row && (colVar === undefined || m.bindings[colVar] === col)),
    low,
    high,
    scale: (value) => (high === low ? 0.5 : (value - low) / (high - low)),
  };
}

/** A measure over one or two sweep variables as a grid: rows the first variable, columns the second. */
function grid(name: string, measures: MeasureResult[], variables: string[], color: boolean): string {
  const { rowVar, colVar, rows, cols, at, scale } = measureGrid(measures, variables);
  const cell = (r: ParamValue, c: ParamValue | undefined) => {
    const value = at(r, c)?.value;
    return value === undefined ? "" : formatMeasureValue(value);
  };
  const width = Math.max(
    ...rows.flatMap((r) => cols.map((c) => cell(r, c).length)),
    ...cols.map((c) => String(c ?? name).length),
  );
  const rowWidth = Math.max(rowVar.length, ...rows.map((r) => String(r).length));
  const head = `${name}: ${rowVar} down${colVar === undefined ? "" : `, ${colVar} across`}\n`;
  const header = `${"".padEnd(rowWidth)}  ${cols.map((c) => String(c ?? name).padStart(width)).join(" ")}\n`;
  const lines = rows.map((r) => {
    const cells = cols.map((c) => {
      const text = cell(r, c).padStart(width);
      const value = at(r, c)?.value;
      return color && typeof value === "number" && Number.isFinite(value)
        ? `${shade(scale(value))}${text}\x1b[0m`
        : text;
    });
    return `${String(r).padEnd(rowWidth)}  ${cells.join(" ")}\n`;
  });
  return head + header + lines.join("");
}

/** Every measure as one table; those of one or two sweep variables, one number per point, as grids too. */
export function measuresText(measures: readonly MeasureResult[], color: boolean): string {
  const variables = [...new Set(measures.flatMap((m) => Object.keys(m.bindings)))];
  const rows = measures.map((m) => [
    m.name,
    m.prompt,
    m.metric,
    ...variables.map((v) => (m.bindings[v] === undefined ? "" : String(m.bindings[v]))),
    formatMeasureValue(m.value),
  ]);
  let text = table(["measure", "prompt", "metric", ...variables, "value"], rows);
  if (variables.length === 1 || variables.length === 2) {
    for (const name of new Set(measures.map((m) => m.name))) {
      const ofName = measures.filter((m) => m.name === name);
      if (ofName.every((m) => typeof m.value === "number")) text += "\n" + grid(name, ofName, variables, color);
    }
  }
  return text;
}

export function resultAsText(result: RunResult, options: TextOptions): string {
  const runs = result.runs.map(
    (run) => `── ${runHeading(run)}\n${options.tokens ? tokensLine(run) + "\n" : ""}${run.text}\n`,
  );
  const captures = (result.captures ?? []).map((c) => {
    const site = `${c.site}[L=${c.layer}${c.head === undefined ? "" : `, head=${c.head}`}]`;
    const point = Object.keys(c.bindings).length === 0 ? "" : ` (${describeBindings(Object.entries(c.bindings))})`;
    return `${c.name}: ${site} of ${c.prompt}${point}: ${c.values.length} vector(s) of ${c.values[0]?.length ?? 0} at positions ${c.positions.join(", ")} (ptch run --json prints the values)\n`;
  });
  const measures = result.measures?.length ? ["\n" + measuresText(result.measures, options.color)] : [];
  return [...runs, ...captures, ...measures].join("");
}
