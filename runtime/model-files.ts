// Finding and opening model files: bundled names, paths, and what can be known without building a graph.
// Nothing here loads onnxruntime, so lint can check a plan against a model in a fraction of a second.

import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { modelRef } from "../compiler/plan.js";
import type { ModelRef } from "../compiler/types.js";
import { ModelFormatError } from "./errors.js";
import { loadGguf, type GgufFile } from "./formats/gguf.js";
import { readLlamaConfig, type LlamaConfig } from "./llama.js";
import { LlamaTokenizer } from "./tokenizers/sentencepiece.js";

/** The package's root folder (package.json, models/), found from this file whether it runs from source or dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "models")) || !existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find ptch's package folder (package.json beside models/)");
    dir = parent;
  }
  return dir;
}

const bundledModelsDir = () => path.join(packageRoot(), "models");

export function bundledModelNames(): string[] {
  return readdirSync(bundledModelsDir(), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The file a model reference names; `baseDir` anchors relative paths (the .ptch file's folder). */
export function resolveModelPath(ref: ModelRef, baseDir: string): string {
  if (ref.kind === "file") return path.resolve(baseDir, ref.path);
  const known = bundledModelNames();
  if (!known.includes(ref.name)) {
    throw new ModelFormatError(
      `unknown model '${ref.name}'; bundled models: ${known.join(", ")}; or give a path such as "./model.gguf"`,
    );
  }
  return path.join(bundledModelsDir(), ref.name, `${ref.name}.gguf`);
}

/** An opened model file: its path, contents, hyperparameters and tokenizer. */
export interface ModelFile {
  path: string;
  gguf: GgufFile;
  config: LlamaConfig;
  tokenizer: LlamaTokenizer;
}

export async function openModelFile(ref: ModelRef, baseDir: string): Promise<ModelFile> {
  const file = resolveModelPath(ref, baseDir);
  const gguf = await loadGguf(file);
  const config = readLlamaConfig(gguf);
  const tokenizer = LlamaTokenizer.fromGguf(gguf);
  // Every token the model can produce must decode, and every token the tokenizer makes must embed.
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new ModelFormatError(
      `the tokenizer has ${tokenizer.vocabSize} tokens but the embedding has ${config.vocabSize} rows`,
      file,
    );
  }
  return { path: file, gguf, config, tokenizer };
}

/** What checks need to know about a model: its shape and tokenizer, without its weights in a graph. */
export async function openModelInfo(
  ref: ModelRef,
  baseDir: string,
): Promise<{ path: string; config: LlamaConfig; tokenizer: LlamaTokenizer }> {
  const { path: file, config, tokenizer } = await openModelFile(ref, baseDir);
  return { path: file, config, tokenizer };
}

/**
 * A model given instead of the plan's (`--model`, `RunOptions.model`): a relative path there is relative to the
 * working directory, as on any command line, not to the .ptch file.
 */
export function modelOverride(text: string): ModelRef {
  const ref = modelRef(text);
  return ref.kind === "file" ? { kind: "file", path: path.resolve(ref.path) } : ref;
}
