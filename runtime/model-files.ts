// Finding and opening model files: bundled names, paths, and what can be known without building a graph.
// Nothing here loads onnxruntime, so lint can check a plan against a model in a fraction of a second.

import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelRef } from "../compiler/types.js";
import { ModelFormatError } from "./errors.js";
import { loadGguf, type GgufFile } from "./gguf.js";
import { readLlamaConfig, type LlamaConfig } from "./llama.js";
import { LlamaTokenizer } from "./tokenizer.js";

/** The package's bundled models/ folder, found from this file whether it runs from source or from dist/. */
function bundledModelsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "models")) || !existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find ptch's bundled models/ folder");
    dir = parent;
  }
  return path.join(dir, "models");
}

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

/** An opened model file: its path, contents, and tokenizer. */
export interface ModelFile {
  path: string;
  gguf: GgufFile;
  tokenizer: LlamaTokenizer;
}

export async function openModelFile(ref: ModelRef, baseDir: string): Promise<ModelFile> {
  const file = resolveModelPath(ref, baseDir);
  const gguf = await loadGguf(file);
  return { path: file, gguf, tokenizer: LlamaTokenizer.fromGguf(gguf) };
}

/** What checks need to know about a model: its shape and tokenizer, without its weights in a graph. */
export async function openModelInfo(
  ref: ModelRef,
  baseDir: string,
): Promise<{ path: string; config: LlamaConfig; tokenizer: LlamaTokenizer }> {
  const { path: file, gguf, tokenizer } = await openModelFile(ref, baseDir);
  return { path: file, config: readLlamaConfig(gguf), tokenizer };
}
