// Executes a plan: load its model, tokenize its prompts, check the plan against both, then run it.

import { hasErrors } from "../foundation/diagnostics.js";
import { fileURLToPath } from "node:url";
import { bindPlan } from "../compiler/bind.js";
import {
  PLAN_VERSION,
  type BoundPlan,
  type GenerationResult,
  type MeasureResult,
  type Plan,
  type RunResult,
} from "../compiler/plan-ir.js";
import { type Diagnostic } from "../foundation/diagnostics.js";
import { PlanRejectedError } from "./errors.js";
import { Experiment, ranGenerations, sitesOfPlans } from "./experiment.js";
import { Model } from "./model.js";
import { modelOverride } from "./model-files.js";
import { checkSweepOnModel } from "../compiler/model-check.js";
import { modelShape } from "./architectures/config.js";
import { tokenizeMetricTexts, tokenizePrompts } from "./tokenizers/tokenizer.js";
import { generate, type GenerationOutput, type GenerationRequest } from "./generate.js";
import { PrefillBatcher } from "./prefill-batcher.js";
import { maxOf } from "../foundation/numbers.js";

export interface RunOptions {
  /**
   * Folder that relative model paths resolve against: the .ptch file's folder, or a compiled module's
   * (`new URL(".", import.meta.url)`). Default: the working directory.
   */
  baseDir?: string | URL;
  /** Replaces the plan's model: a bundled name, or a path to a model file (relative to the working directory). */
  model?: string;
  /** Values for the plan's parameters (and sweep variables, to run one point of a sweep). */
  params?: Readonly<Record<string, unknown>>;
  /** Receives the warnings of checking the plan against the model (e.g. PTCH3115) before it runs. */
  onWarnings?: (warnings: Diagnostic[]) => void;
  /**
   * Hears how far generation has come, after each decode step: tokens made, of at most `total`, and generations
   * (one per generate statement per sweep point) finished, of `generations`.
   */
  onProgress?: (progress: { tokens: number; total: number; finished: number; generations: number }) => void;
}

/**
 * Checks bound plans against the model; throws PlanRejectedError, with every diagnostic, if any does not fit, and
 * hands the warnings of a plan that does to `onWarnings`.
 */
function experimentsFor(
  points: readonly BoundPlan[],
  model: Model,
  onWarnings?: RunOptions["onWarnings"],
  runs?: PrefillBatcher,
): Experiment[] {
  // Tokenized once per point, for the checks and for the run.
  const prompts = points.map((bound) => tokenizePrompts(model.tokenizer, bound));
  const texts = tokenizeMetricTexts(model.tokenizer, points);
  const diagnostics = checkSweepOnModel(points, modelShape(model.config), prompts, texts);
  if (hasErrors(diagnostics)) throw new PlanRejectedError(diagnostics);
  if (diagnostics.length > 0) onWarnings?.(diagnostics);
  return points.map((bound, point) => new Experiment(model, bound, prompts[point]!, runs));
}

/** Prepares a bound plan on a loaded model; a plan that does not fit the model is rejected, with diagnostics. */
export function planExperiment(plan: BoundPlan, model: Model): Experiment {
  return experimentsFor([plan], model)[0]!;
}

/**
 * Runs a plan on a loaded model, once per point of its sweep grid. Every point is checked against the model
 * before the first one runs.
 */
export async function runPlanOnModel(
  plan: Plan,
  model: Model,
  params: RunOptions["params"] = {},
  onWarnings?: RunOptions["onWarnings"],
  onProgress?: RunOptions["onProgress"],
): Promise<RunResult> {
  const points = bindPlan(plan, params);
  // One session for the whole grid: compiled once, with slots and captures for every point.
  const sites = sitesOfPlans(points);
  await model.graphFor(sites);
  // The points run side by side: their prefill runs batch (and equal ones are made once), and then all their
  // generations run together, in batches of rows.
  const runs = new PrefillBatcher(model, sites.captures);
  const experiments = experimentsFor(points, model, onWarnings, runs);
  const prepared = await Promise.all(experiments.map((experiment) => experiment.prepare()));
  const generations = prepared.flatMap((p) => p.generations);
  const outputs = await generateInBatches(
    model,
    generations.map((g) => g.request),
    onProgress,
  );
  const ran = ranGenerations(model, generations, outputs);
  const results: GenerationResult[] = [];
  const measures: MeasureResult[] = [];
  for (const [point, experiment] of experiments.entries()) {
    for (const generation of prepared[point]!.generations) {
      const { output, text } = ran.get(generation)!;
      results.push({
        prompt: generation.step.prompt,
        bindings: experiment.bindings,
        promptTokens: [...generation.request.promptTokens],
        promptPieces: generation.request.promptTokens.map((id) => model.tokenizer.piece(id)),
        intervened: experiment.intervenedPositions(generation.step),
        tokens: output.tokens,
        text,
        stopReason: output.stopReason,
        sampling: generation.step.sampling,
        interventions: experiment.interventionsBefore(generation.step),
      });
    }
    for (const measure of await prepared[point]!.measures(ran)) measures.push(measure);
  }
  const captures = prepared.flatMap((p) => p.captures);
  return {
    planVersion: PLAN_VERSION,
    runs: results,
    ...(measures.length > 0 ? { measures } : {}),
    ...(captures.length > 0 ? { captures } : {}),
  };
}

/**
 * The most bytes of keys and values one generation batch may cache: rows beyond it wait for the next batch, so a
 * sweep of many points does not need memory for all of them at once.
 */
const GENERATION_CACHE_BUDGET = 1024 ** 3;
const MAX_GENERATION_ROWS = 64;

async function generateInBatches(
  model: Model,
  requests: readonly GenerationRequest[],
  onProgress?: RunOptions["onProgress"],
): Promise<GenerationOutput[]> {
  const total = requests.reduce((sum, r) => sum + r.maxNewTokens, 0);
  let [tokens, finished] = [0, 0];
  const onStep =
    onProgress &&
    ((made: number, done: number) =>
      onProgress({ tokens: (tokens += made), total, finished: (finished += done), generations: requests.length }));
  const { nLayers, nKvHeads, headDim } = model.config;
  const longest = maxOf(
    requests.map((r) => r.promptTokens.length + r.maxNewTokens),
    0,
  );
  const bytesPerRow = 2 * nLayers * nKvHeads * headDim * longest * Float32Array.BYTES_PER_ELEMENT;
  const rows = Math.max(
    1,
    Math.min(MAX_GENERATION_ROWS, Math.floor(GENERATION_CACHE_BUDGET / Math.max(1, bytesPerRow))),
  );
  const outputs: GenerationOutput[] = [];
  for (let start = 0; start < requests.length; start += rows) {
    for (const output of await generate(model, requests.slice(start, start + rows), onStep)) outputs.push(output);
  }
  return outputs;
}

/** Loads the plan's model (or `options.model`), runs the plan, and releases the model. */
export async function runPlan(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const baseDir = options.baseDir instanceof URL ? fileURLToPath(options.baseDir) : options.baseDir;
  const model = await Model.load(options.model === undefined ? plan.model : modelOverride(options.model), baseDir);
  try {
    return await runPlanOnModel(plan, model, options.params, options.onWarnings, options.onProgress);
  } finally {
    await model.dispose();
  }
}
