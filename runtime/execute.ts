// Executes a plan: load its model, tokenize its prompts, check the plan against both, then run it.

import { hasErrors } from "../foundation/diagnostics.js";
import { fileURLToPath } from "node:url";
import { bindPlan } from "../compiler/bind.js";
import {
  PLAN_VERSION,
  type BoundPlan,
  type CaptureResult,
  type GenerationResult,
  type Plan,
  type RunResult,
} from "../compiler/plan-ir.js";
import { type Diagnostic } from "../foundation/diagnostics.js";
import { PlanRejectedError } from "./errors.js";
import { Experiment, sitesOfPlans } from "./experiment.js";
import { Model } from "./model.js";
import { modelOverride } from "./model-files.js";
import { checkSweepOnModel } from "../compiler/model-check.js";
import { modelShape } from "./architectures/config.js";
import { tokenizePrompts } from "./tokenizers/tokenizer.js";

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
}

/**
 * Checks bound plans against the model; throws PlanRejectedError, with every diagnostic, if any does not fit, and
 * hands the warnings of a plan that does to `onWarnings`.
 */
function experimentsFor(
  points: readonly BoundPlan[],
  model: Model,
  onWarnings?: RunOptions["onWarnings"],
): Experiment[] {
  // Tokenized once per point, for the checks and for the run.
  const prompts = points.map((bound) => tokenizePrompts(model.tokenizer, bound));
  const diagnostics = checkSweepOnModel(points, modelShape(model.config), prompts);
  if (hasErrors(diagnostics)) throw new PlanRejectedError(diagnostics);
  if (diagnostics.length > 0) onWarnings?.(diagnostics);
  return points.map((bound, point) => new Experiment(model, bound, prompts[point]!));
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
): Promise<RunResult> {
  const points = bindPlan(plan, params);
  const experiments = experimentsFor(points, model, onWarnings);
  // One session for the whole grid: compiled once, with slots and captures for every point.
  await model.graphFor(sitesOfPlans(points));
  const runs: GenerationResult[] = [];
  const captures: CaptureResult[] = [];
  for (const experiment of experiments) {
    const output = await experiment.run();
    captures.push(...output.captures);
    for (const { step, promptTokens: tokens, output: generated } of output.generations) {
      const promptTokens = [...tokens];
      const text = model.tokenizer.decodeContinuation(promptTokens, generated.tokens);
      runs.push({ prompt: step.prompt, bindings: experiment.bindings, promptTokens, tokens: generated.tokens, text });
    }
  }
  return { planVersion: PLAN_VERSION, runs, ...(captures.length > 0 ? { captures } : {}) };
}

/** Loads the plan's model (or `options.model`), runs the plan, and releases the model. */
export async function runPlan(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const baseDir = options.baseDir instanceof URL ? fileURLToPath(options.baseDir) : options.baseDir;
  const model = await Model.load(options.model === undefined ? plan.model : modelOverride(options.model), baseDir);
  try {
    return await runPlanOnModel(plan, model, options.params, options.onWarnings);
  } finally {
    await model.dispose();
  }
}
