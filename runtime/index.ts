// The runtime's public surface: load a model, run a plan, generate from token ids.

export { runPlan, runPlanOnModel, planExperiment, checkPlanOnModel, type RunOptions } from "./execute.js";
export { Model, bundledModelNames } from "./model.js";
export { generate, type GenerationRequest, type GenerationOutput } from "./generate.js";
export { ModelFormatError, PlanRejectedError, RunError } from "./errors.js";
export type { LlamaConfig } from "./llama.js";
