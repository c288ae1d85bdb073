// Checked AST → Plan. Objects are built with their keys in a fixed order, so JSON.stringify of a plan is stable
// and plans can be diffed and snapshot-tested.

import { statementsOfKind } from "./ast.js";
import { PLAN_VERSION, type ModelRef, type Plan, type Program } from "./types.js";

/** Builds the plan of a program that passed `check` (so it has exactly one model statement). */
export function buildPlan(program: Program): Plan {
  const [model] = statementsOfKind(program, "model");
  if (model === undefined) throw new Error("buildPlan needs a checked program, and this one has no model statement");
  return {
    planVersion: PLAN_VERSION,
    model: modelRef(model.ref.value),
    prompts: statementsOfKind(program, "prompt").map((prompt) => ({ name: prompt.name.name, text: prompt.text.value })),
    steps: statementsOfKind(program, "generate").map((generate) => ({
      kind: "generate",
      prompt: generate.prompt.name,
      maxNewTokens: generate.count.value,
      sampling: { kind: "greedy" },
      at: generate.range,
    })),
  };
}

const MODEL_FILE_EXTENSIONS = [".gguf", ".safetensors", ".onnx"];

/** A reference that looks like a path (a separator or a model-file extension) is a file; otherwise a bundled name. */
export function modelRef(reference: string): ModelRef {
  const isPath =
    /[/\\]/.test(reference) || MODEL_FILE_EXTENSIONS.some((extension) => reference.toLowerCase().endsWith(extension));
  return isPath ? { kind: "file", path: reference } : { kind: "bundled", name: reference };
}
