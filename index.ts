// ptch's package entry: compile .ptch source to a plan, format it, bind its parameters, and run plans on a model.

export * from "./compiler/index.js";
export { bindPlan, parseParamValue, ParamError } from "./compiler/bind.js";
export { formatPtch } from "./compiler/format.js";
export { planWithoutLocations } from "./compiler/plan-json.js";
export * from "./runtime/index.js";
export * from "./foundation/source.js";
export type { Diagnostic, Severity } from "./foundation/diagnostics.js";
export * from "./grammar/ast.js";
export * from "./compiler/plan-ir.js";
export { checkPlanOnModel, checkSweepOnModel, siteShape, type ModelShape } from "./compiler/model-check.js";
export type { TokenizedPrompt } from "./compiler/resolve.js";
