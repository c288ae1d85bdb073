// Executes a checked plan step by step, in statement order.
//
// Each prompt accumulates the interventions written on it. A capture or patch source reads a prompt's
// activations as they are at that statement: a prefill run of that prompt with the interventions on it
// written before. Generations take a snapshot of their prompt's interventions and run together in one batch.

import { withoutLocations } from "../compiler/plan-json.js";
import { stepSites } from "../compiler/step-sites.js";
import { elementCount } from "../foundation/text.js";
import { ARITHMETIC, type BinaryOperator } from "../grammar/ast-queries.js";
import {
  NOWHERE,
  resolvePositions,
  resolvePositionSpec,
  type ResolvedRows,
  type SelectionRole,
  type TokenizedPrompt,
} from "../compiler/resolve.js";
import type {
  BoundPlan,
  CaptureResult,
  GenerationMeasure,
  MeasureResult,
  MeasureValue,
  Metric,
  PlanStep,
  SiteSelection,
  TokenRef,
  ValueExpr,
} from "../compiler/plan-ir.js";
import { generate, type GenerationOutput, type GenerationRequest } from "./generate.js";
import { distributionOf, metricValue, type MetricContext } from "./metrics.js";
import { PrefillBatcher } from "./prefill-batcher.js";
import { tokensInContext } from "./tokenizers/tokenizer.js";
import { identityAffine, type Affine, InterventionTable } from "./interventions.js";
import { GenerationError } from "./errors.js";
import type { Model } from "./model.js";
import type { GraphSites } from "./graph/transformer.js";
import { siteShape } from "../compiler/model-check.js";
import { siteId, type ActivationSite } from "./sites.js";
import { maxOf } from "../foundation/numbers.js";

/** A computed value: a number, or vectors (one per position; a single vector broadcasts). */
type Value = { kind: "scalar"; value: number } | { kind: "vectors"; vectors: Float32Array[] };

/** Adds one resolved intervention to a prompt's table. */
type TableWriter = (table: InterventionTable) => void;

type GenerateStep = Extract<PlanStep, { kind: "generate" }>;

/** The interventions written before a generation on its prompt, and the prompt positions they write. */
interface ActingInterventions {
  steps: readonly PlanStep[];
  positions: readonly number[];
  generated: boolean;
}

/** A generation ready to run: its statement and the request (tokens, sampling, interventions) it makes. */
export interface PreparedGeneration {
  step: GenerateStep;
  request: GenerationRequest;
  /** The generation's measures, once it has run. */
  measures: (output: GenerationOutput, text: string) => MeasureResult[];
}

/** Generations that have run: each one's output and the text it decodes to. */
export type RanGenerations = ReadonlyMap<PreparedGeneration, { output: GenerationOutput; text: string }>;

/** Pairs generations with their outputs (in the same order), decoding each output's text once. */
export function ranGenerations(
  model: Model,
  generations: readonly PreparedGeneration[],
  outputs: readonly GenerationOutput[],
): RanGenerations {
  return new Map(
    generations.map((g, i) => [
      g,
      { output: outputs[i]!, text: model.tokenizer.decodeContinuation(g.request.promptTokens, outputs[i]!.tokens) },
    ]),
  );
}

/** What preparing an experiment gives: its generations to run, its captures, and its measures in statement order. */
export interface PreparedExperiment {
  generations: PreparedGeneration[];
  captures: CaptureResult[];
  /** Each step's measures, in statement order; a generation's come after it has run. */
  measures: (ran: RanGenerations) => Promise<MeasureResult[]>;
}

export interface ExperimentOutput {
  generations: { step: GenerateStep; promptTokens: readonly number[]; output: GenerationOutput }[];
  captures: CaptureResult[];
  measures: MeasureResult[];
}

/** Elementwise arithmetic with broadcasting of scalars and of single vectors (shapes were checked). */
function binary(op: BinaryOperator, left: Value, right: Value): Value {
  if (left.kind === "scalar" && right.kind === "scalar")
    return { kind: "scalar", value: ARITHMETIC[op](left.value, right.value) };
  const vectorsOf = (v: Value, count: number, width: number) =>
    v.kind === "scalar"
      ? Array.from({ length: count }, () => new Float32Array(width).fill(v.value))
      : v.vectors.length === 1
        ? Array.from({ length: count }, () => v.vectors[0]!)
        : v.vectors;
  const sample = (left.kind === "vectors" ? left : right) as Extract<Value, { kind: "vectors" }>;
  const count = Math.max(
    left.kind === "vectors" ? left.vectors.length : 1,
    right.kind === "vectors" ? right.vectors.length : 1,
  );
  const width = sample.vectors[0]!.length;
  const l = vectorsOf(left, count, width);
  const r = vectorsOf(right, count, width);
  return { kind: "vectors", vectors: l.map((lv, i) => lv.map((x, j) => ARITHMETIC[op](x, r[i]![j]!))) };
}

function meanOf(vectors: readonly Float32Array[]): Float32Array {
  const mean = new Float32Array(vectors[0]!.length);
  for (let j = 0; j < mean.length; j++) {
    let sum = 0;
    for (const v of vectors) sum += v[j]!;
    mean[j] = sum / vectors.length;
  }
  return mean;
}

const activationSite = (s: SiteSelection): ActivationSite => ({ site: s.site, layer: s.layer });

/**
 * Every site that bound plans intervene on (slots) and read (captures), so that one session, built once,
 * serves every step of every point of a sweep.
 */
export function sitesOfPlans(plans: readonly BoundPlan[]): GraphSites {
  const slots: SiteSelection[] = [];
  const captures: SiteSelection[] = [];
  for (const step of plans.flatMap((p) => p.steps)) {
    const { reads, writes } = stepSites(step);
    captures.push(...reads);
    slots.push(...writes);
  }
  const unique = (list: SiteSelection[]) => [...new Map(list.map((s) => [siteId(s), activationSite(s)])).values()];
  return { slots: unique(slots), captures: unique(captures) };
}

export class Experiment {
  private readonly interventions = new Map<string, TableWriter[]>();
  private acting?: Map<PlanStep, ActingInterventions>;
  private readonly captured = new Map<string, Value>();
  private readonly tokenIds = new Map<string, number>();

  constructor(
    private readonly model: Model,
    private readonly plan: BoundPlan,
    private readonly prompts: ReadonlyMap<string, TokenizedPrompt>,
    /** Shared by the points of a sweep, so that their runs batch and equal runs are made once. */
    private readonly runs: PrefillBatcher = new PrefillBatcher(model, sitesOfPlans([plan]).captures),
  ) {
    for (const p of plan.prompts) this.interventions.set(p.name, []);
  }

  /** The id of a metric's token; the plan was checked, so a text is one token. */
  private tokenId(token: TokenRef): number {
    if ("id" in token) return token.id;
    let id = this.tokenIds.get(token.text);
    if (id === undefined) {
      id = tokensInContext(this.model.tokenizer, token.text)[0]!;
      this.tokenIds.set(token.text, id);
    }
    return id;
  }

  /** `prompt`'s next-token distribution at an absolute position, under `table` (none: without interventions). */
  private async distribution(prompt: string, table: InterventionTable | undefined, position: number) {
    const logits = await this.runs.logits(this.prompts.get(prompt)!.tokens, table, position);
    return distributionOf(logits);
  }

  /** The last prompt position, or the one a measure names. */
  private measurePosition(step: Extract<PlanStep, { kind: "measure" }>, prompt: string): number {
    const spec = step.position ?? { kind: "index", index: -1 };
    const rows = resolvePositionSpec(spec, NOWHERE, this.prompts.get(prompt)!, prompt, "source");
    if ("code" in rows) throw new Error(`internal: a checked measure failed to resolve: ${rows.message}`);
    return maxOf(rows.positions);
  }

  /**
   * What a metric compares against, asked for now (as the prompts stand at this statement): kl's reference
   * distribution, and normalized's clean and corrupt ones without interventions.
   */
  private async metricContext(metric: Metric, position: (prompt: string) => number): Promise<MetricContext> {
    const context: MetricContext = {
      tokenId: (token) => this.tokenId(token),
      piece: (id) => this.model.tokenizer.piece(id),
    };
    if (metric.kind === "kl") {
      context.reference = await this.distribution(metric.prompt, this.tableFor(metric.prompt), position(metric.prompt));
    }
    if (metric.kind === "normalized") {
      const [clean, corrupt] = await Promise.all([
        this.distribution(metric.clean, undefined, position(metric.clean)),
        this.distribution(metric.corrupt, undefined, position(metric.corrupt)),
      ]);
      Object.assign(context, { clean, corrupt });
    }
    return context;
  }

  private measureResult(name: string, prompt: string, metricText: string, value: MeasureValue): MeasureResult {
    return { name, prompt, metric: metricText, bindings: this.plan.bindings, value };
  }

  /**
   * A generation's measures: a hook on the logits of each step it reads, and the results once it has run. The
   * logits are those the step samples from, over the tokenizer's vocabulary.
   */
  private async generationMeasures(step: GenerateStep): Promise<{
    onLogits?: (step: number, logits: Float32Array) => void;
    results: (output: GenerationOutput, text: string) => MeasureResult[];
  }> {
    const measures = step.measures ?? [];
    const lastPosition = (prompt: string) => this.prompts.get(prompt)!.tokens.length - 1;
    const contexts = await Promise.all(measures.map((m) => this.metricContext(m.metric, lastPosition)));
    const values = measures.map((): number[] | MeasureValue[] => []);
    const reads = (measure: GenerationMeasure, at: number) => measure.step === "all" || measure.step === at;
    const wanted = measures.some((m) => m.metric.kind !== "contains");
    return {
      ...(wanted
        ? {
            onLogits: (at: number, logits: Float32Array) => {
              const dist = distributionOf(logits);
              measures.forEach((measure, i) => {
                if (measure.metric.kind !== "contains" && reads(measure, at)) {
                  (values[i] as MeasureValue[]).push(metricValue(measure.metric, dist, contexts[i]!));
                }
              });
            },
          }
        : {}),
      results: (_output, text) =>
        measures.map((measure, i) => {
          const value: MeasureValue =
            measure.metric.kind === "contains"
              ? text.includes(measure.metric.text)
              : measure.step === "all"
                ? (values[i] as number[])
                : // A step past the end of a generation that stopped early read nothing: NaN says so in JSON as null.
                  ((values[i]![0] as MeasureValue | undefined) ?? Number.NaN);
          return this.measureResult(measure.name, step.prompt, measure.metricText, value);
        }),
    };
  }

  /** The rows a selection names on a prompt; the plan was checked, so it resolves. */
  private rowsOf(selection: SiteSelection, prompt: string, role: SelectionRole): ResolvedRows {
    const rows = resolvePositions(selection, this.prompts.get(prompt)!, prompt, role);
    if ("code" in rows) throw new Error(`internal: a checked plan failed to resolve: ${rows.message}`);
    return rows;
  }

  private siteWidth(site: ActivationSite): number {
    return elementCount(siteShape(site.site, this.model.config));
  }

  /** Which slice of a site's row a selection covers: one head, or all of it. */
  private slice(selection: SiteSelection): [number, number] {
    if (selection.head === undefined) return [0, this.siteWidth(activationSite(selection))];
    const headDim = this.model.config.headDim;
    return [selection.head * headDim, (selection.head + 1) * headDim];
  }

  /** The table of the interventions written on `prompt` so far, or undefined when none is. */
  private tableFor(prompt: string): InterventionTable | undefined {
    const writes = this.interventions.get(prompt)!;
    if (writes.length === 0) return undefined;
    const table = new InterventionTable(this.prompts.get(prompt)!.tokens.length);
    for (const write of writes) write(table);
    return table;
  }

  /** The activations a selection reads from a prompt's run as it stands now: one vector per selected position. */
  private read(selection: SiteSelection, prompt: string): Promise<Float32Array[]> {
    return this.readAt(selection, prompt, this.rowsOf(selection, prompt, "source").positions);
  }

  /** The selection's site (and head) of `prompt`'s run as it stands now, at absolute positions. */
  private async readAt(
    selection: SiteSelection,
    prompt: string,
    positions: readonly number[],
  ): Promise<Float32Array[]> {
    const site = activationSite(selection);
    const runs = await this.runs.activations(this.prompts.get(prompt)!.tokens, this.tableFor(prompt));
    const activations = runs.get(siteId(site))!;
    const width = this.siteWidth(site);
    const [from, to] = this.slice(selection);
    return positions.map((p) => activations.slice(p * width + from, p * width + to));
  }

  private async evaluate(expr: ValueExpr): Promise<Value> {
    switch (expr.kind) {
      case "number":
        return { kind: "scalar", value: expr.value };
      case "capture":
        return this.captured.get(expr.name)!;
      case "activation":
        return { kind: "vectors", vectors: await this.read(expr.site, expr.prompt) };
      case "negate":
        return binary("*", { kind: "scalar", value: -1 }, await this.evaluate(expr.operand));
      case "binary":
        return binary(expr.op, await this.evaluate(expr.left), await this.evaluate(expr.right));
    }
  }

  /**
   * Records x → a·x + b on `target` of `prompt`. `parts(i)` gives a and b over the selection's slice for the
   * i-th selected prompt position, or for generated positions; the rest of the row stays untouched.
   */
  private intervene(
    prompt: string,
    target: SiteSelection,
    parts: (which: number | "generated") => { a: Value; b: Value },
  ): void {
    const site = activationSite(target);
    const width = this.siteWidth(site);
    const [from, to] = this.slice(target);
    const rows = this.rowsOf(target, prompt, "target");
    const fill = (destination: Float32Array, value: Value, which: number | "generated") => {
      if (value.kind === "scalar") destination.fill(value.value, from, to);
      else destination.set(value.vectors.length === 1 ? value.vectors[0]! : value.vectors[which as number]!, from);
    };
    const affines = new Map<number | "generated", Affine>();
    for (const which of [...rows.positions.keys(), ...(rows.generated ? ["generated" as const] : [])]) {
      const affine = identityAffine(width);
      const { a, b } = parts(which);
      fill(affine.a, a, which);
      fill(affine.b, b, which);
      if (!affine.a.every(Number.isFinite) || !affine.b.every(Number.isFinite)) {
        // Constants are checked when compiling; this catches values computed from activations (x / y with y = 0)
        // and values set at run time beyond float32's range.
        throw new GenerationError(
          `the value written to ${siteId(site)} in '${prompt}' is not a finite 32-bit float (too large, or a division by zero)`,
        );
      }
      affines.set(which, affine);
    }
    this.interventions.get(prompt)!.push((table) => table.add(site, width, rows, (which) => affines.get(which)!));
  }

  private async runStep(
    step: PlanStep,
    pending: PreparedGeneration[],
    captures: CaptureResult[],
    measured: ((ran: RanGenerations) => Promise<MeasureResult[]>)[],
  ) {
    const ZERO: Value = { kind: "scalar", value: 0 };
    const ONE: Value = { kind: "scalar", value: 1 };
    switch (step.kind) {
      case "capture": {
        const vectors = await this.read(step.site, step.prompt);
        this.captured.set(step.name, { kind: "vectors", vectors });
        if (step.output) {
          captures.push({
            name: step.name,
            bindings: this.plan.bindings,
            prompt: step.prompt,
            site: step.site.site,
            layer: step.site.layer,
            ...(step.site.head === undefined ? {} : { head: step.site.head }),
            positions: this.rowsOf(step.site, step.prompt, "source").positions,
            values: vectors.map((v) => Array.from(v)),
          });
        }
        return;
      }
      case "patch": {
        const source: Value = { kind: "vectors", vectors: await this.read(step.source, step.sourcePrompt) };
        return this.intervene(step.prompt, step.site, () => ({ a: ZERO, b: source }));
      }
      case "add": {
        const value = await this.evaluate(step.value);
        return this.intervene(step.prompt, step.site, () => ({ a: ONE, b: value }));
      }
      case "set": {
        const value = await this.evaluate(step.value);
        return this.intervene(step.prompt, step.site, () => ({ a: ZERO, b: value }));
      }
      case "scale": {
        const factor = await this.evaluate(step.factor);
        return this.intervene(step.prompt, step.site, () => ({ a: factor, b: ZERO }));
      }
      case "zero":
        return this.intervene(step.prompt, step.site, () => ({ a: ZERO, b: ZERO }));
      case "mean": {
        // The same site and positions in each other prompt, averaged.
        const positions = this.rowsOf(step.site, step.prompt, "target").positions;
        const others = await Promise.all(step.over.map((p) => this.readAt(step.site, p, positions)));
        const means = others[0]!.map((_, i) => meanOf(others.map((o) => o[i]!)));
        return this.intervene(step.prompt, step.site, () => ({ a: ZERO, b: { kind: "vectors", vectors: means } }));
      }
      case "generate": {
        const table = this.tableFor(step.prompt);
        const { onLogits, results } = await this.generationMeasures(step);
        const generation: PreparedGeneration = {
          step,
          request: {
            promptTokens: this.prompts.get(step.prompt)!.tokens,
            maxNewTokens: step.maxNewTokens,
            sampling: step.sampling,
            ...(step.stop === undefined ? {} : { stopText: step.stop }),
            ...(table ? { interventions: table } : {}),
            ...(onLogits ? { onLogits } : {}),
          },
          measures: results,
        };
        pending.push(generation);
        measured.push(async (ran) => {
          const { output, text } = ran.get(generation)!;
          return generation.measures(output, text);
        });
        return;
      }
      case "measure": {
        // Asked for now, as the prompts stand at this statement; the runs batch with the other points' and are
        // awaited only when the results are gathered, so the steps after this one go on meanwhile.
        const position = (prompt: string) => this.measurePosition(step, prompt);
        const value = Promise.all([
          this.distribution(step.prompt, this.tableFor(step.prompt), position(step.prompt)),
          this.metricContext(step.metric, position),
        ]).then(([dist, context]) => metricValue(step.metric, dist, context));
        value.catch(() => undefined);
        measured.push(async () => [this.measureResult(step.name, step.prompt, step.metricText, await value)]);
        return;
      }
    }
  }

  /** The steps that act on a generation: the interventions on its prompt written before it, without locations. */
  interventionsBefore(generation: GenerateStep): PlanStep[] {
    return [...this.actingOn(generation).steps];
  }

  /** The positions of a generation's prompt that its interventions write, and whether they write new ones. */
  intervenedPositions(generation: GenerateStep): { positions: number[]; generated: boolean } {
    const { positions, generated } = this.actingOn(generation);
    return { positions: [...positions], generated };
  }

  /**
   * What acts on each generation, from one pass over the steps (scanning the steps before each generation
   * again would be quadratic in a plan of many generations); generations with no intervention between them
   * share one record.
   */
  private actingOn(generation: GenerateStep): ActingInterventions {
    if (!this.acting) {
      this.acting = new Map();
      const byPrompt = new Map<string, { steps: PlanStep[]; positions: Set<number>; generated: boolean }>();
      const latest = new Map<string, ActingInterventions>();
      for (const step of this.plan.steps) {
        if (!("prompt" in step)) continue;
        const state = byPrompt.get(step.prompt) ?? { steps: [], positions: new Set<number>(), generated: false };
        byPrompt.set(step.prompt, state);
        if (step.kind === "generate") {
          const record = latest.get(step.prompt) ?? {
            steps: [...state.steps],
            positions: [...state.positions].sort((a, b) => a - b),
            generated: state.generated,
          };
          latest.set(step.prompt, record);
          this.acting.set(step, record);
          continue;
        }
        const writes = stepSites(step).writes;
        if (writes.length === 0) continue;
        state.steps.push(withoutLocations(step) as PlanStep);
        for (const site of writes) {
          const rows = this.rowsOf(site, step.prompt, "target");
          for (const position of rows.positions) state.positions.add(position);
          state.generated ||= rows.generated;
        }
        latest.delete(step.prompt);
      }
    }
    return this.acting.get(generation)!;
  }

  get bindings(): BoundPlan["bindings"] {
    return this.plan.bindings;
  }

  /** Runs every step but the generations themselves: captures, source runs, intervention tables, measures asked. */
  async prepare(): Promise<PreparedExperiment> {
    const generations: PreparedGeneration[] = [];
    const captures: CaptureResult[] = [];
    const measured: Parameters<Experiment["runStep"]>[3] = [];
    for (const step of this.plan.steps) await this.runStep(step, generations, captures, measured);
    return {
      generations,
      captures,
      measures: async (ran) => (await Promise.all(measured.map((m) => m(ran)))).flat(),
    };
  }

  /** Runs the experiment; all generations share one batch. */
  async run(): Promise<ExperimentOutput> {
    const { generations, captures, measures } = await this.prepare();
    const outputs =
      generations.length === 0
        ? []
        : await generate(
            this.model,
            generations.map((g) => g.request),
          );
    const ran = ranGenerations(this.model, generations, outputs);
    return {
      generations: generations.map((g, i) => ({
        step: g.step,
        promptTokens: g.request.promptTokens,
        output: outputs[i]!,
      })),
      captures,
      measures: await measures(ran),
    };
  }
}
