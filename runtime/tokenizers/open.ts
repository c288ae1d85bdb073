// The tokenizer of a model file: from a GGUF's metadata by its tokenizer.ggml.model, or from an HF directory's
// tokenizer.json and tokenizer_config.json.

import path from "node:path";
import { ModelFormatError } from "../errors.js";
import type { GgufFile } from "../formats/gguf.js";
import { readJsonFile } from "../formats/hf-dir.js";
import { byteLevelTokenizerFromGguf } from "./gguf-bpe.js";
import { HfTokenizer } from "./huggingface.js";
import { LlamaTokenizer } from "./sentencepiece.js";
import type { Tokenizer } from "./tokenizer.js";

const GGUF_TOKENIZERS: Readonly<Record<string, (gguf: GgufFile) => Tokenizer>> = {
  llama: (gguf) => LlamaTokenizer.fromGguf(gguf),
  gpt2: byteLevelTokenizerFromGguf,
};

export function tokenizerFromGguf(gguf: GgufFile): Tokenizer {
  const model = gguf.getString("tokenizer.ggml.model");
  const open = Object.hasOwn(GGUF_TOKENIZERS, model) ? GGUF_TOKENIZERS[model] : undefined;
  if (open === undefined) {
    throw new ModelFormatError(
      `tokenizer '${model}' is not supported yet (supported: ${Object.keys(GGUF_TOKENIZERS).join(", ")})`,
      gguf.fileName,
    );
  }
  return open(gguf);
}

/** Vocabularies of 250k tokens take about 20 MB of JSON. */
const MAX_TOKENIZER_JSON_BYTES = 256 * 2 ** 20;

export function tokenizerFromHfDir(dir: string, modelIds?: { bos?: number; eos?: number }): Tokenizer {
  const file = path.join(dir, "tokenizer.json");
  const tokenizer = readJsonFile(file, MAX_TOKENIZER_JSON_BYTES);
  if (tokenizer === undefined) {
    throw new ModelFormatError(
      "no tokenizer.json: ptch reads an HF model's tokenizer from it (transformers' tokenizer.save_pretrained(dir) writes one)",
      dir,
    );
  }
  if (typeof tokenizer !== "object" || tokenizer === null || Array.isArray(tokenizer)) {
    throw new ModelFormatError("not a tokenizer: the JSON is not an object", file);
  }
  const config = readJsonFile(path.join(dir, "tokenizer_config.json"));
  return HfTokenizer.fromFiles({
    tokenizer: tokenizer as Record<string, unknown>,
    ...(typeof config === "object" && config !== null ? { config: config as Record<string, unknown> } : {}),
    ...(modelIds ? { modelIds } : {}),
    file,
  });
}
