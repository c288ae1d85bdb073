// The byte-level BPE tokenizer of a GGUF file whose tokenizer.ggml.model is "gpt2" (GPT-2, Qwen2, Llama 3), given
// to the same library as a tokenizer.json: the metadata holds the same vocabulary and merges, and
// tokenizer.ggml.pre names the pre-tokenizer, whose split pattern is fixed by the model family.

import { ModelFormatError } from "../errors.js";
import type { GgufFile } from "../formats/gguf.js";
import { HfTokenizer } from "./huggingface.js";

/** GGUF token types (SentencePiece's numbering). */
const CONTROL = 3;
const USER_DEFINED = 4;

/** The split patterns of the pre-tokenizers llama.cpp names; GPT-2's is ByteLevel's own. */
const SPLIT_PATTERNS: Readonly<Record<string, string | undefined>> = {
  "gpt-2": undefined,
  default: undefined,
  "llama-bpe":
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  qwen2:
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

function preTokenizer(pre: string, fail: (message: string) => Error): Record<string, unknown> {
  if (!Object.hasOwn(SPLIT_PATTERNS, pre)) {
    throw fail(`tokenizer.ggml.pre '${pre}' is not supported (supported: ${Object.keys(SPLIT_PATTERNS).join(", ")})`);
  }
  const pattern = SPLIT_PATTERNS[pre];
  if (pattern === undefined) return { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    type: "Sequence",
    pretokenizers: [
      { type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
    ],
  };
}

export function byteLevelTokenizerFromGguf(gguf: GgufFile): HfTokenizer {
  const file = gguf.fileName ?? "model.gguf";
  const fail = (message: string) => new ModelFormatError(message, file);
  const tokens = gguf.getStringArray("tokenizer.ggml.tokens");
  const merges = gguf.getStringArray("tokenizer.ggml.merges");
  const types = gguf.has("tokenizer.ggml.token_type") ? gguf.getNumberArray("tokenizer.ggml.token_type") : [];
  if (types.length !== 0 && types.length !== tokens.length) {
    throw fail(`tokenizer.ggml.token_type has ${types.length} entries but tokenizer.ggml.tokens has ${tokens.length}`);
  }
  const tokenId = (key: string): number | undefined => {
    if (!gguf.has(key)) return undefined;
    const id = gguf.getNumber(key);
    if (!Number.isInteger(id) || id < 0 || id >= tokens.length) {
      throw fail(`${key} is ${id}, not a token of the ${tokens.length}-token vocabulary`);
    }
    return id;
  };
  const vocab: Record<string, number> = {};
  const addedTokens: Record<string, unknown>[] = [];
  tokens.forEach((token, id) => {
    vocab[token] = id;
    const type = types[id];
    if (type === CONTROL || type === USER_DEFINED) {
      addedTokens.push({
        id,
        content: token,
        special: type === CONTROL,
        normalized: false,
        lstrip: false,
        rstrip: false,
        single_word: false,
      });
    }
  });
  const bos = tokenId("tokenizer.ggml.bos_token_id");
  const eos = tokenId("tokenizer.ggml.eos_token_id");
  const pre = gguf.has("tokenizer.ggml.pre") ? gguf.getString("tokenizer.ggml.pre") : "default";
  return HfTokenizer.fromFiles({
    tokenizer: {
      version: "1.0",
      added_tokens: addedTokens,
      normalizer: null,
      pre_tokenizer: preTokenizer(pre, fail),
      post_processor: null,
      decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      model: { type: "BPE", vocab, merges: [...merges], byte_fallback: false, ignore_merges: pre === "llama-bpe" },
    },
    config: {
      add_bos_token: gguf.has("tokenizer.ggml.add_bos_token") ? gguf.getBool("tokenizer.ggml.add_bos_token") : false,
      ...(bos === undefined ? {} : { bos_token: tokens[bos] }),
      ...(eos === undefined ? {} : { eos_token: tokens[eos] }),
    },
    file,
  });
}
