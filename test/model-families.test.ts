// Every supported architecture, in every file layout it comes in, held to the float64 reference forward pass:
// GPT-2 (HF Conv1D and GGUF), Pythia (parallel and sequential residual, partial rotary), Llama (untied, another
// rope base), Mistral, and Qwen2 (HF and GGUF, with q/k/v biases). The weights are random, written by
// test/support/model-layouts.ts in each layout; logits agree within 1e-4 at every position, with and without
// interventions at every kind of site, and KV-cached generation with interventions equals recomputing.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindPlan } from "../compiler/bind.js";
import { expectNoErrors } from "./support/compile.js";
import { planExperiment } from "../runtime/execute.js";
import { forwardFull, generate, type GenerationRequest } from "../runtime/generate.js";
import { Model } from "../runtime/model.js";
import { writeHfDir, type HfDirSpec } from "./support/hf-dir-writer.js";
import {
  gpt2Dir,
  gpt2Gguf,
  gptNeoxDir,
  llamaFamilyDir,
  qwen2Gguf,
  randomTransformer,
  type RandomTransformerOptions,
} from "./support/model-layouts.js";
import { maxLogitDifference, recomputeGreedy, tableHook } from "./support/intervention-checks.js";
import { referenceForward, type ReferenceTransformer } from "./support/reference-forward.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ptch-families-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CONTEXT = 64;
const SHAPE = { nLayers: 2, dModel: 32, nHeads: 4, nKvHeads: 4, headDim: 8, normEps: 1e-5 } as const;

const GPT2: RandomTransformerOptions = {
  config: {
    ...SHAPE,
    dFF: 128,
    norm: "layernorm",
    rotaryDim: 0,
    ropeTheta: 0,
    activation: "gelu_tanh",
    gated: false,
    parallel: false,
  },
  learnedPositions: CONTEXT,
  biases: { qkv: true, attnOut: true, mlp: true, norm: true },
  tied: true,
  seed: 21,
};
const PYTHIA = (parallel: boolean, rotaryDim: number, seed: number): RandomTransformerOptions => ({
  config: {
    ...SHAPE,
    dFF: 128,
    norm: "layernorm",
    rotaryDim,
    ropeTheta: 10000,
    activation: "gelu",
    gated: false,
    parallel,
  },
  biases: { qkv: true, attnOut: true, mlp: true, norm: true },
  tied: false,
  seed,
});
const LLAMA_FAMILY = (options: { kvHeads: number; theta: number; qkvBias: boolean; tied: boolean; seed: number }) => ({
  config: {
    ...SHAPE,
    nKvHeads: options.kvHeads,
    dFF: 48,
    norm: "rmsnorm",
    rotaryDim: SHAPE.headDim,
    ropeTheta: options.theta,
    activation: "silu",
    gated: true,
    parallel: false,
  } as const,
  biases: { qkv: options.qkvBias },
  tied: options.tied,
  seed: options.seed,
});
const LLAMA = LLAMA_FAMILY({ kvHeads: 2, theta: 500000, qkvBias: false, tied: false, seed: 22 });
const MISTRAL = LLAMA_FAMILY({ kvHeads: 1, theta: 1e6, qkvBias: false, tied: false, seed: 23 });
const QWEN2 = LLAMA_FAMILY({ kvHeads: 2, theta: 1e6, qkvBias: true, tied: true, seed: 24 });

interface FamilyCase {
  name: string;
  options: RandomTransformerOptions;
  /** Writes the model's files into a fresh path and returns it. */
  write: (model: ReferenceTransformer, target: string) => Promise<string>;
  /** Sites the architecture has, beyond those all share. */
  residMid: boolean;
}

const hfDir = (spec: (model: ReferenceTransformer) => HfDirSpec) => (model: ReferenceTransformer, target: string) =>
  writeHfDir(target, spec(model));
const ggufFile =
  (bytes: (model: ReferenceTransformer) => Uint8Array) => async (model: ReferenceTransformer, target: string) => {
    await writeFile(`${target}.gguf`, bytes(model));
    return `${target}.gguf`;
  };

const CASES: FamilyCase[] = [
  { name: "GPT-2, HF directory", options: GPT2, write: hfDir((m) => gpt2Dir(m)), residMid: true },
  { name: "GPT-2, GGUF", options: GPT2, write: ggufFile((m) => gpt2Gguf(m)), residMid: true },
  {
    name: "Pythia (parallel residual, rotary_pct 0.25)",
    options: PYTHIA(true, 2, 25),
    write: hfDir((m) => gptNeoxDir(m, CONTEXT)),
    residMid: false,
  },
  {
    name: "GPT-NeoX with a sequential residual, rotary_pct 0.5",
    options: PYTHIA(false, 4, 26),
    write: hfDir((m) => gptNeoxDir(m, CONTEXT)),
    residMid: true,
  },
  {
    name: "Llama (untied, rope_theta 500000, grouped-query)",
    options: LLAMA,
    write: hfDir((m) => llamaFamilyDir(m, "LlamaForCausalLM", { contextLength: CONTEXT, tied: false })),
    residMid: true,
  },
  {
    name: "Mistral (multi-query, sliding window)",
    options: MISTRAL,
    write: hfDir((m) =>
      llamaFamilyDir(m, "MistralForCausalLM", {
        contextLength: 4096,
        tied: false,
        config: { sliding_window: CONTEXT },
      }),
    ),
    residMid: true,
  },
  {
    name: "Qwen2, HF directory (q/k/v biases, tied)",
    options: QWEN2,
    write: hfDir((m) =>
      llamaFamilyDir(m, "Qwen2ForCausalLM", {
        contextLength: CONTEXT,
        tied: true,
        config: { use_sliding_window: false, sliding_window: 8 },
      }),
    ),
    residMid: true,
  },
  {
    name: "Qwen2, GGUF",
    options: QWEN2,
    write: ggufFile((m) => qwen2Gguf(m, { contextLength: CONTEXT, tied: true })),
    residMid: true,
  },
];

const SOURCE = "the cat sat on a mat";
const TARGET = "the dog ran in a bog";

/** Interventions at every kind of site the architecture has, each at another kind of position. */
function experimentSource(modelPath: string, residMid: boolean): string {
  return [
    `model "${modelPath}"`,
    `prompt source = "${SOURCE}"`,
    `prompt target = "${TARGET}"`,
    "patch resid[L=1, pos=-2] from source into target",
    "scale q[L=0, head=1, pos=2..5] in target by 1.5",
    "add 0.5 * k[L=1, pos=-1] of source to k[L=1, pos=*] in target",
    "set v[L=0, pos=3] in target to v[L=0, pos=4] of source",
    "scale z[L=1, head=2, pos=prompt] in target by -0.5",
    "zero attn_out[L=0, pos=new] in target",
    ...(residMid ? ["add 0.25 * resid_mid[L=0, pos=-1] of source to resid_mid[L=0, pos=*] in target"] : []),
    "mean mlp_hidden[L=1, pos=1..4] in target over source",
    "add 2 * mlp_out[L=0, pos=-1] of source to mlp_out[L=0, pos=new] in target",
    "generate 16 from target",
  ].join("\n");
}

for (const { name, options, write, residMid } of CASES) {
  describe(name, () => {
    let reference: ReferenceTransformer;
    let model: Model;
    let request: GenerationRequest;

    beforeAll(async () => {
      reference = randomTransformer(options);
      const file = await write(reference, path.join(dir, name.replace(/[^a-z0-9]+/gi, "-")));
      model = await Model.load({ kind: "file", path: file }, dir);
      const plan = expectNoErrors(experimentSource(file, residMid));
      const { generations } = await planExperiment(bindPlan(plan)[0]!, model).prepare();
      request = generations[generations.length - 1]!.request;
    });
    afterAll(() => model?.dispose());

    it("agrees with the reference forward pass within 1e-4 at every position", async () => {
      const tokens = model.tokenizer.encode(SOURCE);
      const { logits } = await forwardFull(model, [tokens]);
      expect(
        maxLogitDifference(logits!.data, referenceForward(reference, tokens), model.config.vocabSize),
      ).toBeLessThan(1e-4);
    });

    it("agrees with the reference under interventions at every site, prompt and generated positions alike", async () => {
      // The prompt and three more tokens, so that positions past the prompt (pos=new) are covered too.
      const tokens = [...request.promptTokens, 101, 32, 120];
      const { logits } = await forwardFull(model, [tokens], [request]);
      const expected = referenceForward(reference, tokens, tableHook(request.interventions));
      expect(maxLogitDifference(logits!.data, expected, model.config.vocabSize)).toBeLessThan(1e-4);
      const plain = referenceForward(reference, tokens);
      expect(maxLogitDifference(logits!.data, plain, model.config.vocabSize)).toBeGreaterThan(1e-2);
    });

    it("generates with the KV cache the greedy tokens of recomputing every step, interventions included", async () => {
      const [cached] = await generate(model, [request]);
      const recomputed = await recomputeGreedy(model, request);
      expect(cached!.tokens).toEqual(recomputed);
      expect(cached!.tokens).toHaveLength(request.maxNewTokens);
      // With tied embeddings, random weights make a token predict itself; untied ones wander.
      if (!options.tied) expect(new Set(recomputed).size).toBeGreaterThanOrEqual(3);
    });
  });
}
