// Checking a plan against a model's shape and tokenizer: what lint does before a run, and what every run
// does before it starts. Needs no graph, so it never loads onnxruntime.

import { checkPlanAgainstModel } from "../compiler/model-check.js";
import type { TokenizedPrompt } from "../compiler/resolve.js";
import type { BoundPlan, Diagnostic } from "../compiler/types.js";
import type { LlamaConfig } from "./llama.js";
import type { LlamaTokenizer } from "./tokenizer.js";

export function tokenizePrompts(tokenizer: LlamaTokenizer, plan: BoundPlan): Map<string, TokenizedPrompt> {
  return new Map(
    plan.prompts.map((p) => {
      const { ids, spans } = tokenizer.encodeWithSpans(p.text);
      return [p.name, { text: p.text, tokens: ids, spans }];
    }),
  );
}

/** Diagnostics for a plan on a model: layers, heads, positions, shapes, context length. */
export function checkPlanOnModel(
  plan: BoundPlan,
  model: { config: LlamaConfig; tokenizer: LlamaTokenizer },
  prompts: ReadonlyMap<string, TokenizedPrompt> = tokenizePrompts(model.tokenizer, plan),
): Diagnostic[] {
  return checkPlanAgainstModel(plan, model.config, prompts);
}
