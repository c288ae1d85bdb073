// Measures on the bundled model: every metric against the float64 reference forward pass, measures of
// generations, sweeps run as batches equal to their points run one by one, and the diagnostics of bad arguments.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MeasureResult, MeasureValue } from "../compiler/plan-ir.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { loadGguf } from "../runtime/formats/gguf.js";
import { lint } from "../runtime/lint.js";
import { Model } from "../runtime/model.js";
import { tokensInContext } from "../runtime/tokenizers/tokenizer.js";
import { expectNoErrors } from "./support/compile.js";
import { startOf } from "./support/ranges.js";
import { readReferenceLlama, referenceLogits, type LlamaModel } from "./support/reference-forward.js";

const CLEAN = "Once upon a time, there was a little girl named Lily. She";
const CORRUPT = "Once upon a time, there was a little boy named Tom. He";
const SHE = 338;
const HE = 346;

let model: Model;
let llama: LlamaModel;
beforeAll(async () => {
  model = await Model.load({ kind: "bundled", name: "stories260K" });
  llama = readReferenceLlama(await loadGguf(model.path));
});
afterAll(() => model.dispose());

/** A row of reference logits over the tokenizer's vocabulary, with its log-softmax, in float64. */
function distributionOf(row: Float64Array) {
  const logits = row.subarray(0, model.tokenizer.vocabSize);
  const max = Math.max(...logits);
  const logSum = max + Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0));
  return { logits, logprobs: logits.map((x) => x - logSum) };
}

/** The reference's next-token log-probabilities and logits at the last position, in float64. */
function referenceDistribution(text: string, patchFrom?: string, layer = 3) {
  const tokens = model.tokenizer.encode(text);
  let patched: Float64Array | undefined;
  if (patchFrom !== undefined) {
    const source = model.tokenizer.encode(patchFrom);
    referenceLogits(llama, source, (site, position, x) => {
      if (site.site === "resid" && site.layer === layer && position === source.length - 1)
        patched = Float64Array.from(x);
    });
  }
  const rows = referenceLogits(llama, tokens, (site, position, x) => {
    if (patched && site.site === "resid" && site.layer === layer && position === tokens.length - 1) x.set(patched);
  });
  return distributionOf(rows[tokens.length - 1]!);
}

const valueOf = (measures: MeasureResult[] | undefined, name: string): MeasureValue =>
  measures!.find((m) => m.name === name)!.value;

describe("metrics", () => {
  const source = `model "stories260K"
prompt clean = "${CLEAN}"
prompt corrupt = "${CORRUPT}"
measure clean_d = logit_diff(" She", " He") of clean
patch resid[L=3, pos=-1] from clean into corrupt
measure logit = logit(" She") of corrupt
measure prob = prob(" She") of corrupt
measure logprob = logprob(#338) of corrupt
measure rank = rank(" He") of corrupt
measure d = logit_diff(" She", " He") of corrupt
measure top = topk(3) of corrupt
measure entropy = entropy() of corrupt
measure kl = kl(clean) of corrupt
measure restored = normalized(logit_diff(" She", " He"), clean=clean, corrupt=corrupt) of corrupt
measure earlier = prob(" She") of corrupt at pos=-2
`;
  let measures: MeasureResult[] | undefined;
  beforeAll(async () => {
    ({ measures } = await runPlanOnModel(expectNoErrors(source), model));
  });

  it('reads " She" and " He" as the single tokens ▁She and ▁He', () => {
    expect(tokensInContext(model.tokenizer, " She")).toEqual([SHE]);
    expect(tokensInContext(model.tokenizer, " He")).toEqual([HE]);
    expect([model.tokenizer.piece(SHE), model.tokenizer.piece(HE)]).toEqual(["▁She", "▁He"]);
  });

  it("agree with the reference forward pass within 1e-4, under the patch in force", () => {
    const patched = referenceDistribution(CORRUPT, CLEAN);
    const clean = referenceDistribution(CLEAN);
    const corrupt = referenceDistribution(CORRUPT);
    const diff = (d: typeof clean) => d.logits[SHE]! - d.logits[HE]!;
    expect(valueOf(measures, "clean_d")).toBeCloseTo(diff(clean), 4);
    expect(valueOf(measures, "logit")).toBeCloseTo(patched.logits[SHE]!, 4);
    expect(valueOf(measures, "prob")).toBeCloseTo(Math.exp(patched.logprobs[SHE]!), 4);
    expect(valueOf(measures, "logprob")).toBeCloseTo(patched.logprobs[SHE]!, 4);
    expect(valueOf(measures, "rank")).toBe([...patched.logits].filter((x) => x > patched.logits[HE]!).length);
    expect(valueOf(measures, "d")).toBeCloseTo(diff(patched), 4);
    const top = [...patched.logits.keys()].sort((a, b) => patched.logits[b]! - patched.logits[a]!).slice(0, 3);
    const topk = valueOf(measures, "top") as { token: number; piece: string; prob: number }[];
    expect(topk.map((t) => t.token)).toEqual(top);
    topk.forEach((t) => expect(t.prob).toBeCloseTo(Math.exp(patched.logprobs[t.token]!), 4));
    expect(topk.map((t) => t.piece)).toEqual(top.map((id) => model.tokenizer.piece(id)));
    const entropy = -patched.logprobs.reduce((sum, lp) => sum + Math.exp(lp) * lp, 0);
    expect(valueOf(measures, "entropy")).toBeCloseTo(entropy, 4);
    const kl = clean.logprobs.reduce((sum, lp, i) => sum + Math.exp(lp) * (lp - patched.logprobs[i]!), 0);
    expect(valueOf(measures, "kl")).toBeCloseTo(kl, 4);
    const restored = (diff(patched) - diff(corrupt)) / (diff(clean) - diff(corrupt));
    expect(valueOf(measures, "restored")).toBeCloseTo(restored, 4);
  });

  it("a patch at the last position leaves an earlier position's distribution as it was", () => {
    const tokens = model.tokenizer.encode(CORRUPT);
    const rows = referenceLogits(llama, tokens);
    const { logprobs } = distributionOf(rows[tokens.length - 2]!);
    expect(valueOf(measures, "earlier")).toBeCloseTo(Math.exp(logprobs[SHE]!), 4);
  });

  it("are reported with their prompt, metric as written and bindings, in statement order", () => {
    expect(measures!.map((m) => m.name)).toEqual([
      "clean_d",
      ...["logit", "prob", "logprob", "rank", "d", "top", "entropy", "kl", "restored", "earlier"],
    ]);
    expect(measures![5]).toMatchObject({ prompt: "corrupt", metric: 'logit_diff(" She", " He")', bindings: {} });
  });
});

describe("measures of generations", () => {
  it("read the distribution each step samples from, every step, and the generated text", async () => {
    const source = `model "stories260K"
prompt story = "${CLEAN}"
measure first = prob(" was") of story
generate 12 from story measure p0 = prob(" was") at step=0 measure steps = logprob(" was") at step=* measure contains(" was") measure contains("zebra")
`;
    const { runs, measures } = await runPlanOnModel(expectNoErrors(source), model);
    expect(valueOf(measures, "p0")).toBeCloseTo(valueOf(measures, "first") as number, 5);
    const steps = valueOf(measures, "steps") as number[];
    expect(steps).toHaveLength(runs[0]!.tokens.length);
    // Each step's distribution is the reference's at that point of the generated sequence.
    const sequence = [...runs[0]!.promptTokens, ...runs[0]!.tokens];
    const reference = referenceLogits(llama, sequence);
    steps.forEach((value, step) => {
      const { logprobs } = distributionOf(reference[runs[0]!.promptTokens.length - 1 + step]!);
      expect(value).toBeCloseTo(logprobs[tokensInContext(model.tokenizer, " was")[0]!]!, 4);
    });
    expect(valueOf(measures, 'contains(" was")')).toBe(runs[0]!.text.includes(" was"));
    expect(valueOf(measures, 'contains("zebra")')).toBe(false);
  });
});

describe("sweeps as batches", () => {
  const source = `model "stories260K"
prompt clean = "${CLEAN}"
prompt corrupt = "${CORRUPT}"
sweep l in 0..5
sweep t in [3, 1]
patch resid[L=l, pos=-1] from clean into corrupt
measure d = logit_diff(" She", " He") of corrupt
generate 8 from corrupt measure p = prob(" She") at step=1
scale mlp_out[L=t] in clean by 0.5
measure c = logit_diff(" She", " He") of clean
`;

  it("give every point's tokens and measures as the point run alone does", async () => {
    const plan = expectNoErrors(source);
    const batched = await runPlanOnModel(plan, model);
    expect(batched.runs).toHaveLength(12);
    expect(batched.measures).toHaveLength(36);
    for (const l of [0, 3, 5]) {
      for (const t of [3, 1]) {
        const alone = await runPlanOnModel(plan, model, { l, t });
        const runs = batched.runs.filter((r) => r.bindings["l"] === l && r.bindings["t"] === t);
        expect(runs.map((r) => r.tokens)).toEqual(alone.runs.map((r) => r.tokens));
        const measures = batched.measures!.filter((m) => m.bindings["l"] === l && m.bindings["t"] === t);
        expect(measures.map((m) => m.name)).toEqual(alone.measures!.map((m) => m.name));
        measures.forEach((m, i) => expect(m.value as number).toBeCloseTo(alone.measures![i]!.value as number, 4));
      }
    }
  });
});

describe("bad arguments", () => {
  const at = async (source: string) =>
    (await lint(source, { baseDir: process.cwd() })).map((d) => `${d.code} ${startOf(d.range)}`);
  const header = 'model "stories260K"\nprompt p = "Once upon a time"\n';

  it("a token text that is not one token, at the argument, with its pieces", async () => {
    const diagnostics = await lint(`${header}measure m = logit_diff(" She", " Tom") of p`, { baseDir: process.cwd() });
    expect(diagnostics).toMatchObject([{ code: "PTCH3117", range: { start: { line: 3, column: 32 } } }]);
    expect(diagnostics[0]!.message).toContain('"▁T" #274, "om" #287');
  });

  it("topk(0), a kl against an unknown prompt, an unknown metric, a misplaced contains", async () => {
    expect(await at(`${header}measure m = topk(0) of p`)).toEqual(["PTCH3006 3:18"]);
    expect(await at(`${header}measure m = kl(q) of p`)).toEqual(["PTCH2001 3:16"]);
    expect(await at(`${header}measure m = prb(" She") of p`)).toEqual(["PTCH2018 3:13"]);
    expect(await at(`${header}measure m = contains("x") of p`)).toEqual(["PTCH3023 3:13"]);
    expect(await at(`${header}measure m = prob(#9999) of p`)).toEqual(["PTCH3118 3:18"]);
    expect(await at(`${header}generate 3 from p measure prob(" She") at step=3`)).toEqual(["PTCH3119 3:19"]);
    // The position is read on the prompt compared against too.
    const other = 'prompt q = "One day,"\n';
    expect(await at(`${header}${other}measure m = kl(q) of p at pos="time"`)).toEqual(["PTCH3105 4:1"]);
  });

  it("a comment that starts with a number is still a comment", async () => {
    expect(await at(`${header}#1 first, then the rest\ngenerate 3 from p # 2 tokens\n`)).toEqual([]);
  });
});
