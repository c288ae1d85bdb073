// Sampling must be reproducible on every machine: our own PRNG, pinned here to a reference implementation,
// and a sampler whose choices depend only on the logits and the seed.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../runtime/generate.js";
import { Model } from "../runtime/model.js";
import { argmax, SeededRandom, TokenSampler } from "../runtime/sampling.js";

describe("SeededRandom", () => {
  it("produces the reference xoshiro128** stream (splitmix32-seeded), as a C implementation with uint32_t does", () => {
    // From the reference algorithm compiled with gcc: seed 42, state from four splitmix32 steps.
    const random = new SeededRandom(42);
    expect(Array.from({ length: 8 }, () => random.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142, 339756180, 113173290, 65323186, 1112262688,
    ]);
  });

  it("gives doubles in [0, 1)", () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 10_000; i++) {
      const d = random.nextDouble();
      expect(d >= 0 && d < 1).toBe(true);
    }
  });
});

describe("TokenSampler", () => {
  const logits = Float32Array.from([1, 3, 2, 3, -1, 0.5]);

  it("greedy and temperature 0 take the highest logit, the lowest id on ties", () => {
    expect(argmax(logits)).toBe(1);
    expect(new TokenSampler({ kind: "greedy" }).next(logits)).toBe(1);
    expect(new TokenSampler({ kind: "sample", temperature: 0, seed: 1 }).next(logits)).toBe(1);
  });

  it("top_k=1 is greedy; top_k and top_p never pick outside their candidates", () => {
    const topOne = new TokenSampler({ kind: "sample", temperature: 1, topK: 1, seed: 3 });
    const topTwo = new TokenSampler({ kind: "sample", temperature: 5, topK: 2, seed: 3 });
    const nucleus = new TokenSampler({ kind: "sample", temperature: 1, topP: 0.5, seed: 3 });
    for (let i = 0; i < 200; i++) {
      expect(topOne.next(logits)).toBe(1);
      expect([1, 3]).toContain(topTwo.next(logits));
      expect([1, 3]).toContain(nucleus.next(logits));
    }
  });

  it("draws in proportion to softmax(logits / temperature)", () => {
    const sampler = new TokenSampler({ kind: "sample", temperature: 1, seed: 11 });
    const counts = new Array<number>(logits.length).fill(0);
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[sampler.next(logits)]! += 1;
    const weights = Array.from(logits, (l) => Math.exp(l));
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => expect(Math.abs(counts[i]! / draws - w / total)).toBeLessThan(0.015));
  });
});

describe("seeded generation on the bundled model", () => {
  let model: Model;
  beforeAll(async () => {
    model = await Model.load({ kind: "bundled", name: "stories260K" });
  });
  afterAll(() => model.dispose());

  const request = (seed: number) => ({
    promptTokens: model.tokenizer.encode("Once upon a time"),
    maxNewTokens: 40,
    sampling: { kind: "sample" as const, temperature: 1, topK: 40, seed },
  });

  it("the same seed gives the same tokens; another seed other tokens", async () => {
    const [a] = await generate(model, [request(5)]);
    const [b] = await generate(model, [request(5)]);
    const [c] = await generate(model, [request(6)]);
    expect(a!.tokens).toEqual(b!.tokens);
    expect(a!.tokens).not.toEqual(c!.tokens);
  });

  it("a row's draws do not depend on what else is in the batch", async () => {
    const [alone] = await generate(model, [request(9)]);
    const batched = await generate(model, [request(1), request(9), { ...request(2), maxNewTokens: 7 }]);
    expect(batched[1]!.tokens).toEqual(alone!.tokens);
  });
});
