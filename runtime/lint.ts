// Lint: every check that needs no forward pass. Syntax, names and selectors from the compiler; then, where the
// model can be opened, layers, heads, positions and lengths against its metadata and tokenizer, for every
// point of the sweep grid. Never loads onnxruntime, so it is fast enough to run on save.

import { bindPlan } from "../compiler/bind.js";
import { createDiagnostic } from "../foundation/diagnostics.js";
import { compile } from "../compiler/index.js";
import { NOWHERE } from "../compiler/resolve.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { Plan } from "../compiler/plan-ir.js";
import { parse } from "../grammar/index.js";
import { ModelOptionError, ModelUnavailableError } from "./errors.js";
import { modelOverride, openModel } from "./model-files.js";
import { checkSweepOnModel } from "../compiler/model-check.js";
import { modelShape } from "./architectures/config.js";
import { tokenizeMetricTexts, tokenizePrompts } from "./tokenizers/tokenizer.js";

export interface LintOptions {
  /** Folder that relative model paths resolve against: the .ptch file's folder. */
  baseDir: string;
  /** A bundled model name or model path instead of the file's model. */
  model?: string;
}

/** A model that cannot be opened, as a diagnostic at the file's model statement. */
export function modelUnavailable(source: string, error: ModelUnavailableError): Diagnostic {
  const statement = parse(source).program.statements.find((s) => s.kind === "model");
  const reason = error.file ? `${error.file}: ${error.message}` : error.message;
  return createDiagnostic("modelUnavailable", statement?.range ?? NOWHERE, { reason });
}

/** Model-aware diagnostics for every point of the sweep grid. */
async function checkAgainstModel(source: string, plan: Plan, options: LintOptions): Promise<Diagnostic[]> {
  let info;
  try {
    info = await openModel(options.model === undefined ? plan.model : modelOverride(options.model), options.baseDir);
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    if (options.model !== undefined) throw new ModelOptionError(options.model, error);
    return [modelUnavailable(source, error)];
  }
  const points = bindPlan(plan);
  const prompts = points.map((point) => tokenizePrompts(info.tokenizer, point));
  return checkSweepOnModel(points, modelShape(info.config), prompts, tokenizeMetricTexts(info.tokenizer, points));
}

export async function lint(source: string, options: LintOptions): Promise<Diagnostic[]> {
  const { plan, diagnostics } = compile(source);
  return plan ? [...diagnostics, ...(await checkAgainstModel(source, plan, options))] : diagnostics;
}
