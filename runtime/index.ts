// The runtime's public surface: load a model, check and run a plan, generate from token ids with interventions
// and TypeScript hooks.

export { runPlan, runPlanOnModel, planExperiment, type RunOptions } from "./execute.js";
export { modelShape } from "./architectures/config.js";
export { tokenizePrompts } from "./tokenizers/tokenizer.js";
export { lint, type LintOptions } from "./lint.js";
export { Model } from "./model.js";
export { bundledModelNames, openModel, type OpenedModel } from "./model-files.js";
export { generate, forwardFull, type GenerationRequest, type GenerationOutput } from "./generate.js";
export { InterventionTable, type ActivationHook, type Affine } from "./interventions.js";
export type { ActivationSite } from "./sites.js";
export {
  ModelUnavailableError,
  ModelNotFoundError,
  ModelFormatError,
  PlanRejectedError,
  GenerationError,
} from "./errors.js";
export type { ModelConfig } from "./architectures/config.js";
export type { Tokenizer } from "./tokenizers/tokenizer.js";
