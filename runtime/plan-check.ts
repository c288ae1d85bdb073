// Checking a plan against a model's shape and tokenizer: what lint does before a run, and what every run
// does before it starts. Needs no graph, so it never loads onnxruntime.

import { checkPlanAgainstModel } from "../compiler/model-check.js";
import type { TokenizedPrompt } from "../compiler/resolve.js";
import { sortByPosition } from "../foundation/diagnostics.js";
import { describeBindings } from "../foundation/text.js";
import type { BoundPlan } from "../compiler/plan-ir.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import { absentSites, type ModelConfig } from "./architectures/config.js";
import type { Tokenizer } from "./tokenizers/tokenizer.js";

export function tokenizePrompts(tokenizer: Tokenizer, plan: BoundPlan): Map<string, TokenizedPrompt> {
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
  model: { config: ModelConfig; tokenizer: Tokenizer },
  prompts: ReadonlyMap<string, TokenizedPrompt> = tokenizePrompts(model.tokenizer, plan),
): Diagnostic[] {
  return checkPlanAgainstModel(plan, { ...model.config, absentSites: absentSites(model.config) }, prompts);
}

/**
 * Diagnostics for every point of a sweep grid, each reported once; one that occurs at only some points says at
 * which (the first), e.g. "layer 6 is out of range … (when l = 6)".
 */
export function checkBoundPlans(
  points: readonly BoundPlan[],
  model: { config: ModelConfig; tokenizer: Tokenizer },
  promptsOf: (point: number) => ReadonlyMap<string, TokenizedPrompt> = (point) =>
    tokenizePrompts(model.tokenizer, points[point]!),
): Diagnostic[] {
  const found = new Map<string, { diagnostic: Diagnostic; points: Set<number>; bindings: string }>();
  points.forEach((bound, point) => {
    const bindings = describeBindings(Object.entries(bound.bindings));
    for (const diagnostic of checkPlanOnModel(bound, model, promptsOf(point))) {
      const key = JSON.stringify([diagnostic.code, diagnostic.range, diagnostic.message]);
      const entry = found.get(key) ?? { diagnostic, points: new Set<number>(), bindings };
      entry.points.add(point);
      found.set(key, entry);
    }
  });
  return sortByPosition(
    [...found.values()].map(({ diagnostic, points: at, bindings }) =>
      at.size === points.length ? diagnostic : { ...diagnostic, message: `${diagnostic.message} (when ${bindings})` },
    ),
  );
}
