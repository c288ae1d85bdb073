import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadGguf } from "../runtime/formats/gguf.js";
import { readReferenceLlama, type LlamaModel } from "./support/reference-forward.js";
import { Model } from "../runtime/model.js";
import { forwardFull, generate } from "../runtime/generate.js";
import { argmax } from "../runtime/sampling.js";
import { referenceLogits } from "./support/reference-forward.js";

const BUNDLED = { kind: "bundled", name: "stories260K" } as const;
const PUBLISHED_SAMPLE =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

let model: Model;
let llama: LlamaModel;

beforeAll(async () => {
  model = await Model.load(BUNDLED);
  llama = readReferenceLlama(await loadGguf(model.path));
});
afterAll(() => model.dispose());

/** Logits of every position of `tokens`, from one uncached run. */
async function fullLogits(tokens: number[]): Promise<Float32Array[]> {
  const out = await forwardFull(model, [tokens]);
  const vocab = model.config.vocabSize;
  return tokens.map((_, p) => out.logits!.data.subarray(p * vocab, (p + 1) * vocab));
}

describe("llama forward pass on stories260K", () => {
  it("agrees with the reference implementation within 1e-4 at every position of a 20-token prompt", async () => {
    const tokens = model.tokenizer.encode("Once upon a time, there was a little girl named Lily. She loved to");
    expect(tokens.length).toBeGreaterThanOrEqual(20);
    const prompt = tokens.slice(0, 20);
    const expected = referenceLogits(llama, prompt);
    const actual = await fullLogits(prompt);
    let worst = 0;
    for (let p = 0; p < prompt.length; p++) {
      for (let i = 0; i < model.config.vocabSize; i++)
        worst = Math.max(worst, Math.abs(actual[p]![i]! - expected[p]![i]!));
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it("cached greedy generation equals recomputing the whole sequence at every step, over 60 tokens", async () => {
    const prompt = model.tokenizer.encode("Tom had a red");
    const [cached] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 60 }]);
    const sequence = [...prompt];
    const recomputed: number[] = [];
    while (recomputed.length < 60) {
      const logits = await fullLogits(sequence);
      const next = argmax(logits[logits.length - 1]!);
      if (next === model.tokenizer.eosId) break;
      recomputed.push(next);
      sequence.push(next);
    }
    expect(cached!.tokens).toEqual(recomputed);
    expect(recomputed.length).toBe(60);
  });

  it("continues the empty prompt with the sample the model's authors published", async () => {
    const prompt = model.tokenizer.encode("");
    expect(prompt).toEqual([model.tokenizer.bosId]);
    const [output] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 60 }]);
    expect(model.tokenizer.decode([...prompt, ...output!.tokens]).startsWith(PUBLISHED_SAMPLE)).toBe(true);
  });

  it("stops at a stop text, after the token that completes it, and at the token limit", async () => {
    const prompt = model.tokenizer.encode("");
    const [stopped] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 60, stopText: "." }]);
    expect(stopped!.stopReason).toBe("stop-text");
    expect(model.tokenizer.decodeContinuation(prompt, stopped!.tokens)).toBe(
      "Once upon a time, there was a little girl named Lily.",
    );
    // The stop text is matched in the text as printed: after BOS alone, the first word has no leading space.
    const [atStart] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 60, stopText: " Once" }]);
    expect(atStart!.stopReason).toBe("limit");
    const [limited] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 7 }]);
    expect(limited).toMatchObject({ stopReason: "limit", tokens: stopped!.tokens.slice(0, 7) });
  });

  it("stops at the end-of-text token, which is not part of the output, and other rows go on", async () => {
    // Greedily this model never ends a story; sampling at so high a temperature that every token is as likely
    // reaches the end-of-text token soon (with this seed, after 28 tokens), and does not hang on the logits'
    // last bits.
    const prompt = model.tokenizer.encode("Tom had a red ball");
    const hot = { kind: "sample", temperature: 1e4, seed: 6 } as const;
    const [ended, going] = await generate(model, [
      { promptTokens: prompt, maxNewTokens: 200, sampling: hot },
      { promptTokens: prompt, maxNewTokens: 60 },
    ]);
    expect(ended!.stopReason).toBe("eos");
    expect(ended!.tokens.length).toBeLessThan(200);
    expect(ended!.tokens).not.toContain(model.tokenizer.eosId);
    const [alone] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 60 }]);
    expect(going).toEqual(alone);
    expect(going!.tokens).toHaveLength(60);
  });
});
