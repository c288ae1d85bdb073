// The runtime's public surface: load a model, run a plan, generate from token ids.

export { runPlan, runPlanOnModel, planExperiment, type RunOptions } from "./execute.js";
export { checkPlanOnModel } from "./plan-check.js";
export { Model } from "./model.js";
export { bundledModelNames, openModelInfo } from "./model-files.js";
export { generate, type GenerationRequest, type GenerationOutput } from "./generate.js";
export { ModelFormatError, PlanRejectedError, RunError } from "./errors.js";
export type { LlamaConfig } from "./llama.js";
