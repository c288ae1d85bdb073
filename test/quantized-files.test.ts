// Every GGUF type the graph keeps quantized, against llama.cpp (node-llama-cpp) as an independent reference on
// the same file: llama.cpp generates greedily, and ptch, reading its tokens back in one uncached pass, must pick
// each of them or a token that near-ties it, which rounding decides. llama.cpp multiplies every quantized type
// with 8-bit activations, ptch the types with 8-bit codes (ggml-types.ts, NBitsLayout), each quantizing them its
// own way. Real weights where the bundled model's rows allow (64 wide: the 32-element types), with ties within
// 0.5% of the logits' range (measured: 0.33% at one position for Q5_1, whose offsets llama.cpp adds from the
// quantized activations and ptch from the exact ones; none for the rest); random ones for the K types (rows of
// 256), whose logits are so flat that llama.cpp's rounding moves them further: within 1% (measured: 0.6%, for
// Q4_K, which ptch computes in float32 within 1e-4 of the dequantized weights, and Q6_K).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llamaCppGreedy } from "../bench/llama-cpp-peer.js";
import { loadGguf } from "../runtime/formats/gguf.js";
import { forwardFull } from "../runtime/generate.js";
import { Model } from "../runtime/model.js";
import type { QuantizedTypeName } from "./support/ggml-quantize.js";
import { writeRandomLlama } from "./support/random-llama.js";
import { requantizeGguf } from "./support/requantize-gguf.js";

const BUNDLED = path.resolve(import.meta.dirname, "..", "models", "stories260K", "stories260K.gguf");
const PROMPT = "Once upon a time, there was a little girl named Lily.";
const TOKENS = 40;
const NEAR_TIE = { bundled: 5e-3, random: 1e-2 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ptch-quantized-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CASES: { type: QuantizedTypeName; weights: "bundled" | "random" }[] = [
  ...(["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"] as const).map((type) => ({ type, weights: "bundled" as const })),
  ...(["Q4_K", "Q5_K", "Q6_K"] as const).map((type) => ({ type, weights: "random" as const })),
];

describe.each(CASES)("$type matrices ($weights weights)", ({ type, weights }) => {
  it(`keep them quantized and follow llama.cpp's ${TOKENS} greedy tokens but for near ties`, async () => {
    const file = path.join(dir, `${type}.gguf`);
    if (weights === "bundled") await requantizeGguf(BUNDLED, file, type);
    else {
      await writeRandomLlama(file, {
        layers: 2,
        dModel: 256,
        heads: 4,
        kvHeads: 2,
        ff: 512,
        tensorType: type,
        tiedOutput: false,
        quietEos: true,
        seed: 41,
      });
    }
    const peer = await llamaCppGreedy(file, TOKENS, PROMPT, 2);
    expect(peer.tokens).toHaveLength(TOKENS);
    const model = await Model.load({ kind: "file", path: file });
    try {
      const prompt = model.tokenizer.encode(PROMPT);
      // Most of the weights stay in their blocks (the exact sizes are architectures.test.ts's).
      const asFloat32 = [...(await loadGguf(file)).tensors.values()].reduce((sum, t) => sum + 4 * t.elementCount, 0);
      expect(model.storedWeightBytes).toBeLessThan(0.6 * asFloat32);
      const { logits } = await forwardFull(model, [[...prompt, ...peer.tokens]]);
      const vocab = model.config.vocabSize;
      const gaps = peer.tokens.map((token, i) => {
        const row = logits!.data.subarray((prompt.length - 1 + i) * vocab, (prompt.length + i) * vocab);
        const [low, high] = row.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
        return (high - row[token]!) / (high - low);
      });
      expect(Math.max(...gaps)).toBeLessThanOrEqual(NEAR_TIE[weights]);
    } finally {
      await model.dispose();
    }
  });
});
