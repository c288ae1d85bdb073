// The bundled model's real weights as the Hugging Face directory transformers would save for it (q/k rows in
// halves order, a Llama-2 tokenizer.json): in f32 and f16 it reproduces the sample the authors published, and
// in f32 it tokenizes and generates exactly as the GGUF does, patched and steered included.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/index.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { loadGguf } from "../runtime/formats/gguf.js";
import { generate } from "../runtime/generate.js";
import { Model } from "../runtime/model.js";
import { llamaGgufToHf } from "./support/gguf-to-hf.js";
import { writeHfDir } from "./support/hf-dir-writer.js";

const PUBLISHED_SAMPLE =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

let dir: string;
let gguf: Model;
const hf: Partial<Record<"F32" | "F16", Model>> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ptch-stories-hf-"));
  gguf = await Model.load({ kind: "bundled", name: "stories260K" });
  const file = await loadGguf(gguf.path);
  for (const dtype of ["F32", "F16"] as const) {
    const target = await writeHfDir(path.join(dir, dtype), llamaGgufToHf(file, dtype));
    hf[dtype] = await Model.load({ kind: "file", path: target }, dir);
  }
});
afterAll(async () => {
  await Promise.all([gguf?.dispose(), hf.F32?.dispose(), hf.F16?.dispose()]);
  await rm(dir, { recursive: true, force: true });
});

const TEXTS = [
  "",
  "Once upon a time, there was a little girl named Lily.",
  "  two spaces,\ttab\nnewline   trailing  ",
  'Tom said: "I\'m 5 years old!" 123 + 4 = 127?',
  "ünïcødé 日本 🙂 zzxxqq",
];

describe("stories260K as an HF directory", () => {
  it.each(TEXTS)("tokenizes %j as the GGUF's SentencePiece vocabulary does, spans and round trip included", (text) => {
    const expected = gguf.tokenizer.encodeWithSpans(text);
    const actual = hf.F32!.tokenizer.encodeWithSpans(text);
    expect(actual.ids).toEqual(expected.ids);
    expect(actual.spans).toEqual(expected.spans);
    expect(hf.F32!.tokenizer.decode(actual.ids)).toBe(gguf.tokenizer.decode(expected.ids));
  });

  it.each(["F32", "F16"] as const)("in %s, continues BOS with the sample the authors published", async (dtype) => {
    const model = hf[dtype]!;
    const prompt = model.tokenizer.encode("");
    expect(prompt).toEqual([model.tokenizer.bosId]);
    const [output] = await generate(model, [{ promptTokens: prompt, maxNewTokens: 60 }]);
    expect(model.tokenizer.decode([...prompt, ...output!.tokens]).startsWith(PUBLISHED_SAMPLE)).toBe(true);
  });

  it("generates the GGUF's tokens under a patch sweep and a steering vector", async () => {
    const source = `
prompt source = "Once upon a time, there was a little girl named Lily."
prompt target = "Once upon a time, there was a little boy named Tom."
sweep l in 0..5
patch resid[L=l, pos=-2] from source into target
add 4 * (resid[L=2, pos=-1] of source - resid[L=2, pos=-1] of target) to resid[L=2, pos=new] in target
scale z[L=3, head=2, pos=*] in target by 0.5
generate 30 from target
`;
    const { plan } = compile(`model "stories260K"\n${source}`);
    const expected = await runPlanOnModel(plan!, gguf);
    const actual = await runPlanOnModel(plan!, hf.F32!);
    expect(actual.runs.map((r) => r.tokens)).toEqual(expected.runs.map((r) => r.tokens));
    expect(actual.runs).toHaveLength(6);
    expect(new Set(actual.runs.map((r) => r.text)).size).toBeGreaterThan(1);
  });
});
