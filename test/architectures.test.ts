// The llama runtime on random models of shapes the bundled model lacks: grouped-query and multi-query attention,
// untied output, f16 weights, GGUF v2, other rope bases and head widths. Each is held to the reference forward pass,
// and its KV-cached generation to recomputing from scratch.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../runtime/errors.js";
import { forwardFull, generate } from "../runtime/generate.js";
import { loadGguf } from "../runtime/formats/gguf.js";
import { readReferenceLlama, type LlamaModel } from "./support/reference-forward.js";
import { Model } from "../runtime/model.js";
import { argmax } from "../runtime/sampling.js";
import { gv } from "./support/gguf-writer.js";
import {
  randomLlamaGguf,
  writeRandomLlama,
  type RandomLlama,
  type RandomLlamaOptions,
} from "./support/random-llama.js";
import { referenceLogits } from "./support/reference-forward.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ptch-architectures-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CONFIGS: { name: string; options: RandomLlamaOptions; headDim: number }[] = [
  { name: "multi-head attention", options: { dModel: 32, heads: 4, kvHeads: 4, seed: 11 }, headDim: 8 },
  { name: "grouped-query attention, groups of 4", options: { dModel: 64, heads: 8, kvHeads: 2, seed: 12 }, headDim: 8 },
  { name: "multi-query attention", options: { dModel: 48, heads: 6, kvHeads: 1, seed: 13 }, headDim: 8 },
  { name: "untied output", options: { heads: 4, kvHeads: 2, tiedOutput: false, seed: 14 }, headDim: 8 },
  { name: "f16 weights", options: { dModel: 64, heads: 8, kvHeads: 2, tensorType: "F16", seed: 15 }, headDim: 8 },
  { name: "GGUF v2", options: { layers: 3, version: 2, seed: 16 }, headDim: 8 },
  { name: "rope base 500000", options: { ropeTheta: 500000, kvHeads: 2, seed: 17 }, headDim: 8 },
  { name: "rope base 100", options: { ropeTheta: 100, seed: 18 }, headDim: 8 },
  { name: "head width 16", options: { layers: 1, dModel: 64, heads: 4, kvHeads: 2, ff: 100, seed: 19 }, headDim: 16 },
  // What Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K_M and Q5_K_M files hold; k-quants need rows of 256.
  ...(
    [
      ["Q8_0", 31],
      ["Q4_0", 35],
      ["Q4_1", 36],
      ["Q5_0", 37],
      ["Q5_1", 38],
      ["Q4_K", 32],
      ["Q5_K", 33],
      ["Q6_K", 34],
    ] as const
  ).map(([tensorType, seed]) => {
    const kQuant = tensorType.endsWith("_K");
    const shape = kQuant ? { layers: 1, dModel: 256, ff: 512 } : { layers: 2, dModel: 64, ff: 128 };
    return {
      name: `${tensorType} weights`,
      options: { ...shape, heads: 4, kvHeads: 2, tensorType, tiedOutput: false, seed },
      headDim: kQuant ? 64 : 16,
    };
  }),
];

const TEXT = "the cat sat on the mat. A dog ran!";
const GENERATED = 20;

for (const { name, options, headDim } of CONFIGS) {
  describe(`random llama: ${name}`, () => {
    let written: RandomLlama;
    let model: Model;
    let llama: LlamaModel;

    beforeAll(async () => {
      const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, "-")}.gguf`);
      written = await writeRandomLlama(file, { ...options, quietEos: true });
      model = await Model.load({ kind: "file", path: path.basename(file) }, dir);
      llama = readReferenceLlama(await loadGguf(file));
    });
    afterAll(() => model?.dispose());

    it("reads the hyperparameters and weights as written", () => {
      const heads = options.heads ?? 4;
      expect(model.config).toMatchObject({
        nHeads: heads,
        nKvHeads: options.kvHeads ?? heads,
        headDim,
        vocabSize: written.vocab.length,
        ropeTheta: options.ropeTheta ?? 10000,
      });
      expect(model.tokenizer.vocabSize).toBe(written.vocab.length);
      const last = llama.config.nLayers - 1;
      // Quantized weights come back within their quantization error: at 4 bits, a 15th of the largest weight, but
      // for Q4_0, whose grid (−8…7 steps of the largest/8) cuts a block's largest weight of the other sign by a
      // step, and for Q4_1, whose 15 steps span the block's range (up to twice its largest) from an fp16-rounded min.
      const quantized = !["F32", "F16", undefined].includes(options.tensorType);
      const tolerance = options.tensorType === "Q4_0" || options.tensorType === "Q4_1" ? 7 : 15;
      const expectWritten = (actual: Float32Array, name: string) => {
        const expected = written.tensors.get(name)!;
        if (!quantized) return expect(actual).toEqual(expected);
        expect(actual).toHaveLength(expected.length);
        const largest = expected.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
        expect(actual.reduce((worst, v, i) => Math.max(worst, Math.abs(v - expected[i]!)), 0)).toBeLessThan(
          largest / tolerance,
        );
      };
      expectWritten(llama.weights.layers[last]!.wk, `blk.${last}.attn_k.weight`);
      expectWritten(llama.weights.layers[0]!.wDown, "blk.0.ffn_down.weight");
      expectWritten(llama.weights.output, options.tiedOutput === false ? "output.weight" : "token_embd.weight");
    });

    // Per block of 32 (Q6_K: 16): the codes (4 bits for the 4-bit types, 8 for wider ones), a float32 scale, and
    // for the types with mins a float32 offset.
    const nBitsBytesPerWeight = {
      Q8_0: (32 + 4) / 32,
      Q4_0: (16 + 4) / 32,
      Q4_1: (16 + 4 + 4) / 32,
      Q5_0: (32 + 4) / 32,
      Q5_1: (32 + 4 + 4) / 32,
      Q4_K: (16 + 4 + 4) / 32,
      Q5_K: (32 + 4 + 4) / 32,
      Q6_K: (16 + 4) / 16,
    }[options.tensorType as string];
    const int8Activations = ["Q8_0", "Q5_0", "Q5_1", "Q5_K", "Q6_K"].includes(options.tensorType as string);
    if (nBitsBytesPerWeight !== undefined) {
      it("keeps its matrices quantized, as the file holds them, in blocks of codes", () => {
        // The token embedding is looked up, not multiplied by: it alone is stored as float32.
        let expected = 0;
        for (const [name, values] of written.tensors) {
          const asFloat = name === "token_embd.weight" || !/\.weight$/.test(name) || /norm/.test(name);
          expected += values.length * (asFloat ? 4 : nBitsBytesPerWeight);
        }
        expect(model.storedWeightBytes).toBe(expected);
      });
    }

    it(`agrees with the reference forward pass within ${int8Activations ? "3%" : "1e-4"} at every position of a 12-token sequence`, async () => {
      const tokens = model.tokenizer.encode(TEXT).slice(0, 12);
      expect(tokens).toHaveLength(12);
      const expected = referenceLogits(llama, tokens);
      const { logits } = await forwardFull(model, [tokens]);
      const vocab = model.config.vocabSize;
      expect(logits!.dims).toEqual([1, 12, vocab]);
      let worst = 0;
      for (let p = 0; p < tokens.length; p++) {
        for (let i = 0; i < vocab; i++)
          worst = Math.max(worst, Math.abs(logits!.data[p * vocab + i]! - expected[p]![i]!));
      }
      // The types with 8-bit codes multiply with int8 activations, as llama.cpp does (ggml-types.ts, NBitsLayout):
      // within 3% of the largest logit here, where every other type computes in float32.
      const largestLogit = logits!.data.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
      expect(worst).toBeLessThan(int8Activations ? 0.03 * largestLogit : 1e-4);
    });

    it(`generates the same ${GENERATED} greedy tokens with the KV cache as by recomputing every step`, async () => {
      const prompt = model.tokenizer.encode("the dog");
      const [cached] = await generate(model, [{ promptTokens: prompt, maxNewTokens: GENERATED }]);
      const sequence = [...prompt];
      const recomputed: number[] = [];
      while (recomputed.length < GENERATED) {
        const { logits } = await forwardFull(model, [sequence]);
        const vocab = model.config.vocabSize;
        const next = argmax(logits!.data.subarray((sequence.length - 1) * vocab, sequence.length * vocab));
        if (next === model.tokenizer.eosId) break;
        recomputed.push(next);
        sequence.push(next);
      }
      expect(cached!.tokens).toEqual(recomputed);
      // The EOS logit is 0, so the models never stop early; a few distinct tokens show they are not stuck.
      expect(cached!.stopReason).toBe("limit");
      expect(new Set(recomputed).size).toBeGreaterThanOrEqual(3);
    });
  });
}

describe("unusable random models", () => {
  let count = 0;
  async function loadError(options: RandomLlamaOptions): Promise<{ error: unknown; file: string }> {
    const file = path.join(dir, `broken-${++count}.gguf`);
    await writeRandomLlama(file, options);
    const error = await Model.load({ kind: "file", path: file }, dir).then(
      async (model) => {
        await model.dispose();
        return undefined;
      },
      (e: unknown) => e,
    );
    return { error, file };
  }

  it("rejects an architecture it does not know, listing those it does", async () => {
    const { error, file } = await loadError({ architecture: "mamba" });
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error).toMatchObject({
      message: 'architecture "mamba" is not supported; supported in GGUF files: gpt2, llama, qwen2',
      file,
    });
  });

  it("names a missing tensor", async () => {
    const { error, file } = await loadError({ layers: 2, omitTensors: ["blk.1.ffn_down.weight"] });
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error).toMatchObject({ message: "missing tensor 'blk.1.ffn_down.weight'", file });
  });

  it("names a missing output norm", async () => {
    const { error } = await loadError({ omitTensors: ["output_norm.weight"] });
    expect(error).toMatchObject({ name: "ModelFormatError", message: "missing tensor 'output_norm.weight'" });
  });

  it("rejects scaled rotary embeddings, which would otherwise run silently wrong", async () => {
    const { error } = await loadError({ metadata: { "llama.rope.scaling.type": gv.str("linear") } });
    expect(error).toMatchObject({
      name: "ModelFormatError",
      message: "scaled rotary embeddings (linear) are not supported yet",
    });
  });

  it("rejects a tokenizer with tokens the embedding has no row for", async () => {
    const { vocab } = randomLlamaGguf();
    const longer = [...vocab, "▁extra"];
    const { error } = await loadError({
      metadata: {
        "tokenizer.ggml.tokens": gv.array("string", longer),
        "tokenizer.ggml.scores": gv.array(
          "float32",
          longer.map(() => 0),
        ),
        "tokenizer.ggml.token_type": gv.array(
          "int32",
          longer.map((_, id) => (id < 3 ? 3 : id < 259 ? 6 : 1)),
        ),
      },
    });
    expect(error).toMatchObject({
      name: "ModelFormatError",
      message: `the tokenizer has ${longer.length} tokens but the embedding has ${vocab.length} rows`,
    });
  });
});
