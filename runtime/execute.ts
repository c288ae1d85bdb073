// Executes a plan: loads its model, tokenizes its prompts, runs its generations.

import { PLAN_VERSION, type GenerationResult, type ModelRef, type Plan, type RunResult } from "../compiler/types.js";
import { generate } from "./generate.js";
import { Model } from "./model.js";

export interface RunOptions {
  /** Folder that relative model paths resolve against: the .ptch file's folder. Default: the working directory. */
  baseDir?: string;
  /** Replaces the plan's model: a bundled name, or a path to a model file. */
  model?: string;
}

/** Reads a model reference the way the language does: anything that looks like a path is a file. */
export function parseModelRef(text: string): ModelRef {
  return /[\\/]|\.(gguf|safetensors|onnx)$/i.test(text)
    ? { kind: "file", path: text }
    : { kind: "bundled", name: text };
}

export async function runPlan(plan: Plan, options: RunOptions = {}): Promise<RunResult> {
  const modelRef = options.model === undefined ? plan.model : parseModelRef(options.model);
  const model = await Model.load(modelRef, options.baseDir);
  try {
    const promptText = new Map(plan.prompts.map((p) => [p.name, p.text]));
    const runs: GenerationResult[] = [];
    for (const generation of plan.generations) {
      const promptTokens = model.tokenizer.encode(promptText.get(generation.prompt) ?? "");
      const [output] = await generate(model, [{ promptTokens, maxNewTokens: generation.maxNewTokens }]);
      const tokens = output!.tokens;
      // Decoding the continuation on its own would drop the space a first token like "▁Once" starts with.
      const text = model.tokenizer
        .decode([...promptTokens, ...tokens])
        .slice(model.tokenizer.decode(promptTokens).length);
      runs.push({ prompt: generation.prompt, bindings: {}, promptTokens, tokens, text });
    }
    return { planVersion: PLAN_VERSION, runs };
  } finally {
    await model.dispose();
  }
}
