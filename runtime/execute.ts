// Executes a plan: load its model, tokenize its prompts, check the plan against both, then run it.

import { hasErrors } from "../compiler/diagnostics.js";
import { modelRef } from "../compiler/plan.js";
import { PLAN_VERSION, type Plan, type RunResult } from "../compiler/types.js";
import { PlanRejectedError } from "./errors.js";
import { Experiment } from "./experiment.js";
import { Model } from "./model.js";
import { checkPlanOnModel, tokenizePrompts } from "./plan-check.js";

export interface RunOptions {
  /** Folder that relative model paths resolve against: the .ptch file's folder. Default: the working directory. */
  baseDir?: string;
  /** Replaces the plan's model: a bundled name, or a path to a model file. */
  model?: string;
}

/** Prepares `plan` on a loaded model; a plan that does not fit the model is rejected, with diagnostics. */
export function planExperiment(plan: Plan, model: Model): Experiment {
  const prompts = tokenizePrompts(model.tokenizer, plan);
  const diagnostics = checkPlanOnModel(plan, model, prompts);
  if (hasErrors(diagnostics)) throw new PlanRejectedError(diagnostics);
  return new Experiment(model, plan, prompts);
}

/** Runs a plan on a loaded model; nothing runs unless the whole plan fits the model. */
export async function runPlanOnModel(plan: Plan, model: Model): Promise<RunResult> {
  const { generations, captures } = await planExperiment(plan, model).run();
  const runs = generations.map(({ step, promptTokens: tokens, output }) => {
    const promptTokens = [...tokens];
    // Decoding the continuation on its own would drop the space a first token like "▁Once" starts with.
    const promptText = model.tokenizer.decode(promptTokens);
    const text = model.tokenizer.decode([...promptTokens, ...output.tokens]).slice(promptText.length);
    return { prompt: step.prompt, bindings: {}, promptTokens, tokens: output.tokens, text };
  });
  return { planVersion: PLAN_VERSION, runs, ...(captures.length > 0 ? { captures } : {}) };
}

/** Loads the plan's model (or `options.model`), runs the plan, and releases the model. */
export async function runPlan(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const model = await Model.load(options.model === undefined ? plan.model : modelRef(options.model), options.baseDir);
  try {
    return await runPlanOnModel(plan, model);
  } finally {
    await model.dispose();
  }
}
