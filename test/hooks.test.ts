// TypeScript hooks: arbitrary functions at a site, which split the graph there. They must see exactly the rows
// each run computes, and give the same results as the equivalent compiled-in intervention.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardFull, generate, type GenerationRequest } from "../runtime/generate.js";
import { identityAffine, InterventionTable, type ActivationHook } from "../runtime/interventions.js";
import { Model } from "../runtime/model.js";
import { argmax } from "../runtime/sampling.js";

let model: Model;
beforeAll(async () => {
  model = await Model.load({ kind: "bundled", name: "stories260K" });
});
afterAll(() => model.dispose());

const STEER = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.8);
const FROM_POSITION = 3;

/** Adds STEER to resid 2 at every position from FROM_POSITION on, prompt and generated alike. */
const steeringHook: ActivationHook = {
  site: { site: "resid", layer: 2 },
  fn: (activation, { positions, shape }) => {
    positions.forEach((p, row) => {
      if (p < FROM_POSITION) return;
      for (let i = 0; i < shape[0]!; i++) activation[row * shape[0]! + i]! += STEER[i]!;
    });
  },
};

/** The same steering as a compiled-in slot. */
function steeringTable(promptLength: number): InterventionTable {
  const table = new InterventionTable(promptLength);
  const positions = Array.from({ length: promptLength - FROM_POSITION }, (_, i) => FROM_POSITION + i);
  const add = { ...identityAffine(64), b: STEER };
  table.add({ site: "resid", layer: 2 }, 64, { positions, generated: true }, () => add);
  return table;
}

describe("TypeScript hooks", () => {
  const prompt = () => model.tokenizer.encode("Once upon a time, there was a little boy named Tom.");

  it("give the same tokens as the equivalent slot intervention", async () => {
    const tokens = prompt();
    const [hooked] = await generate(model, [{ promptTokens: tokens, maxNewTokens: 40, hooks: [steeringHook] }]);
    const [slotted] = await generate(model, [
      { promptTokens: tokens, maxNewTokens: 40, interventions: steeringTable(tokens.length) },
    ]);
    const [plain] = await generate(model, [{ promptTokens: tokens, maxNewTokens: 40 }]);
    expect(hooked!.tokens).toEqual(slotted!.tokens);
    expect(hooked!.tokens).not.toEqual(plain!.tokens);
  });

  it("cached generation with a hook equals recomputing from scratch", async () => {
    const request: GenerationRequest = { promptTokens: prompt(), maxNewTokens: 30, hooks: [steeringHook] };
    const [cached] = await generate(model, [request]);
    const sequence = [...request.promptTokens];
    const vocab = model.config.vocabSize;
    while (sequence.length < request.promptTokens.length + 30) {
      const { logits } = await forwardFull(model, [sequence], [request]);
      sequence.push(argmax(logits!.data.subarray((sequence.length - 1) * vocab, sequence.length * vocab)));
    }
    expect(cached!.tokens).toEqual(sequence.slice(request.promptTokens.length));
  });

  it("see the rows each run computes: all prompt rows at prefill, then one row per decode step, never padding", async () => {
    const seen: number[][] = [];
    const recorder: ActivationHook = {
      site: { site: "z", layer: 1 },
      fn: (activation, { positions, shape }) => {
        expect(shape).toEqual([8, 8]);
        expect(activation.length).toBe(positions.length * 64);
        seen.push([...positions]);
      },
    };
    const short = model.tokenizer.encode("Tom");
    const long = model.tokenizer.encode("Once upon a time");
    const batched = await generate(model, [
      { promptTokens: short, maxNewTokens: 3, hooks: [recorder] },
      { promptTokens: long, maxNewTokens: 3 },
    ]);
    const n = short.length;
    expect(n).toBeLessThan(long.length);
    expect(seen).toEqual([Array.from({ length: n }, (_, i) => i), [n], [n + 1]]);
    // A hook that changes nothing leaves the batch's results alone.
    const [alone] = await generate(model, [{ promptTokens: short, maxNewTokens: 3 }]);
    expect(batched[0]!.tokens).toEqual(alone!.tokens);
  });

  it("several hooks split the graph at each site, and a hook composes with a slot on the same site", async () => {
    const tokens = prompt();
    const noop = (site: ActivationHook["site"]): ActivationHook => ({ site, fn: () => undefined });
    const hooks = [
      noop({ site: "resid", layer: 0 }),
      noop({ site: "attn_out", layer: 0 }),
      noop({ site: "k", layer: 0 }),
      noop({ site: "v", layer: 0 }),
      steeringHook,
    ];
    // The hook runs after the slot: together they add the steering vector twice.
    const [both] = await generate(model, [
      { promptTokens: tokens, maxNewTokens: 20, hooks, interventions: steeringTable(tokens.length) },
    ]);
    const twice = steeringTable(tokens.length);
    const add = { ...identityAffine(64), b: STEER };
    const positions = Array.from({ length: tokens.length - FROM_POSITION }, (_, i) => FROM_POSITION + i);
    twice.add({ site: "resid", layer: 2 }, 64, { positions, generated: true }, () => add);
    const [slotted] = await generate(model, [{ promptTokens: tokens, maxNewTokens: 20, interventions: twice }]);
    const [once] = await generate(model, [
      { promptTokens: tokens, maxNewTokens: 20, interventions: steeringTable(tokens.length) },
    ]);
    expect(both!.tokens).toEqual(slotted!.tokens);
    expect(both!.tokens).not.toEqual(once!.tokens);
  });

  it("are not called for a batch row that has finished", async () => {
    const seen: number[][] = [];
    const recorder: ActivationHook = {
      site: { site: "resid", layer: 1 },
      fn: (_, { positions }) => void seen.push([...positions]),
    };
    const tokens = prompt();
    await generate(model, [
      { promptTokens: tokens, maxNewTokens: 1, hooks: [recorder] },
      { promptTokens: tokens, maxNewTokens: 5 },
    ]);
    expect(seen).toEqual([tokens.map((_, i) => i)]);
  });
});
