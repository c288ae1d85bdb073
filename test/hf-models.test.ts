// Hugging Face directories and hub ids: a Llama directory runs exactly as the same weights in a llama GGUF (q/k
// rows permuted for adjacent pairs, a byte-level BPE vocabulary in the metadata), in f32, f16, bf16 and sharded;
// each kind of unusable directory gets one error naming the file; hub ids resolve from the local cache; and a
// sweep builds one session over one copy of the weights.

import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../compiler/index.js";
import { ModelFormatError } from "../runtime/errors.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { forwardFull } from "../runtime/generate.js";
import { resolveModelPath } from "../runtime/model-files.js";
import { Model } from "../runtime/model.js";
import { createdSessionCount } from "../runtime/onnx/session.js";
import { gv, writeGguf } from "./support/gguf-writer.js";
import { BYTE_LEVEL_EOS_ID, tinyLlama, writeHfDir, type HfDirSpec } from "./support/hf-dir-writer.js";
import { byteLevelGgufVocabulary } from "./support/model-layouts.js";
import { roundTo } from "./support/safetensors-writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ptch-hf-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let count = 0;
const freshDir = () => path.join(dir, `model-${++count}`);

/** The same weights as a llama GGUF: ggml dims fastest first, q/k rows in llama.cpp's adjacent-pair order. */
function asLlamaGguf(spec: HfDirSpec): Uint8Array {
  const c = spec.config as Record<string, number>;
  const headDim = c["hidden_size"]! / c["num_attention_heads"]!;
  const half = headDim / 2;
  const toPairs = (values: Float32Array, rows: number, cols: number) => {
    const out = new Float32Array(values.length);
    for (let r = 0; r < rows; r++) {
      const head = Math.floor(r / headDim);
      const within = r % headDim;
      // HF row i + half·j of a head is GGUF row 2i + j.
      const target = head * headDim + 2 * (within % half) + Math.floor(within / half);
      out.set(values.subarray(r * cols, (r + 1) * cols), target * cols);
    }
    return out;
  };
  const names: Record<string, string> = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.layers.0.input_layernorm.weight": "blk.0.attn_norm.weight",
    "model.layers.0.self_attn.q_proj.weight": "blk.0.attn_q.weight",
    "model.layers.0.self_attn.k_proj.weight": "blk.0.attn_k.weight",
    "model.layers.0.self_attn.v_proj.weight": "blk.0.attn_v.weight",
    "model.layers.0.self_attn.o_proj.weight": "blk.0.attn_output.weight",
    "model.layers.0.post_attention_layernorm.weight": "blk.0.ffn_norm.weight",
    "model.layers.0.mlp.gate_proj.weight": "blk.0.ffn_gate.weight",
    "model.layers.0.mlp.up_proj.weight": "blk.0.ffn_up.weight",
    "model.layers.0.mlp.down_proj.weight": "blk.0.ffn_down.weight",
    "model.norm.weight": "output_norm.weight",
  };
  const tensors = spec.tensors.map((t) => {
    const values = roundTo(t.dtype, t.values);
    const [rows, cols] = [t.shape[0]!, t.shape[1] ?? 1];
    const permuted = /q_proj|k_proj/.test(t.name) ? toPairs(values, rows, cols) : values;
    return { name: names[t.name]!, dims: [...t.shape].reverse(), type: "F32" as const, values: permuted };
  });
  return writeGguf({
    metadata: {
      "general.architecture": gv.str("llama"),
      "llama.block_count": gv.u32(c["num_hidden_layers"]!),
      "llama.embedding_length": gv.u32(c["hidden_size"]!),
      "llama.feed_forward_length": gv.u32(c["intermediate_size"]!),
      "llama.attention.head_count": gv.u32(c["num_attention_heads"]!),
      "llama.attention.head_count_kv": gv.u32(c["num_key_value_heads"]!),
      "llama.attention.layer_norm_rms_epsilon": gv.f32(c["rms_norm_eps"]!),
      "llama.context_length": gv.u32(c["max_position_embeddings"]!),
      "llama.rope.freq_base": gv.f32(c["rope_theta"]!),
      ...byteLevelGgufVocabulary(),
    },
    tensors,
  });
}

async function logitsOf(model: Model, tokens: number[]): Promise<Float32Array> {
  const { logits } = await forwardFull(model, [tokens]);
  return logits!.data;
}

const maxDifference = (a: Float32Array, b: Float32Array) =>
  a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);

const TEXT = "the cat sat on the mat, é!";

describe.each(["F32", "F16", "BF16"] as const)("a Llama directory in %s", (dtype) => {
  let hf: Model;
  let gguf: Model;
  beforeAll(async () => {
    const spec = tinyLlama({ dtype, seed: 3 });
    const hfDir = await writeHfDir(freshDir(), spec);
    const ggufFile = path.join(dir, `llama-${dtype}.gguf`);
    await writeFile(ggufFile, asLlamaGguf(spec));
    hf = await Model.load({ kind: "file", path: hfDir }, dir);
    gguf = await Model.load({ kind: "file", path: ggufFile }, dir);
  });
  afterAll(async () => {
    await hf?.dispose();
    await gguf?.dispose();
  });

  it("tokenizes as the GGUF's byte-level vocabulary does, with spans that cover the text", () => {
    const encoding = hf.tokenizer.encodeWithSpans(TEXT);
    expect(encoding.ids).toEqual(gguf.tokenizer.encode(TEXT));
    expect(encoding.ids).toEqual([...new TextEncoder().encode(TEXT)]); // one token per byte, no BOS
    // é is two byte tokens, each spanning the whole character.
    expect(encoding.spans.map(([start, end]) => TEXT.slice(start, end)).join("")).toBe(TEXT.replace("é", "éé"));
    expect(hf.tokenizer.decode(encoding.ids)).toBe(TEXT);
    expect(hf.tokenizer.addBos).toBe(false);
    expect(hf.tokenizer.eosId).toBe(BYTE_LEVEL_EOS_ID);
  });

  it("gives the logits of the same weights in a llama GGUF, whose q/k rows are in the other order", async () => {
    const tokens = hf.tokenizer.encode(TEXT);
    expect(maxDifference(await logitsOf(hf, tokens), await logitsOf(gguf, tokens))).toBeLessThan(1e-5);
  });
});

describe("sharded weights", () => {
  it("read from the shards the index names, as from one file", async () => {
    const spec = tinyLlama({ seed: 5 });
    const one = await Model.load({ kind: "file", path: await writeHfDir(freshDir(), spec) }, dir);
    const sharded = await Model.load({ kind: "file", path: await writeHfDir(freshDir(), { ...spec, shards: 3 }) }, dir);
    try {
      const tokens = one.tokenizer.encode("abc");
      expect(maxDifference(await logitsOf(one, tokens), await logitsOf(sharded, tokens))).toBe(0);
    } finally {
      await one.dispose();
      await sharded.dispose();
    }
  });
});

describe("unusable directories", () => {
  async function loadError(
    edit: (spec: HfDirSpec) => HfDirSpec,
    after?: (dir: string) => Promise<void>,
  ): Promise<{ error: ModelFormatError; dir: string }> {
    const target = await writeHfDir(freshDir(), edit(tinyLlama()));
    await after?.(target);
    const error = await Model.load({ kind: "file", path: target }, dir).then(
      async (model) => {
        await model.dispose();
        throw new Error("the model loaded");
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFormatError);
    return { error: error as ModelFormatError, dir: target };
  }
  const withTensor = (
    spec: HfDirSpec,
    name: string,
    change: (t: HfDirSpec["tensors"][number]) => object,
  ): HfDirSpec => ({
    ...spec,
    tensors: spec.tensors.map((t) => (t.name === name ? { ...t, ...change(t) } : t)),
  });

  it("a directory without weights", async () => {
    const { error, dir: target } = await loadError(
      (s) => s,
      (d) => rm(path.join(d, "model.safetensors")),
    );
    expect(error.file).toBe(target);
    expect(error.message).toMatch(
      /^no weights: the directory has neither model.safetensors nor model.safetensors.index.json/,
    );
  });

  it("an unknown architecture, listing the supported ones", async () => {
    const { error } = await loadError((s) => ({ ...s, config: { ...s.config, architectures: ["MambaForCausalLM"] } }));
    expect(error.message).toBe(
      'architecture "MambaForCausalLM" is not supported; supported: GPT2LMHeadModel, GPTNeoXForCausalLM, ' +
        "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM",
    );
    expect(error.file).toMatch(/config\.json$/);
  });

  it("a missing tensor", async () => {
    const name = "model.layers.0.mlp.down_proj.weight";
    const { error } = await loadError((s) => ({ ...s, tensors: s.tensors.filter((t) => t.name !== name) }));
    expect(error.message).toBe(`missing tensor '${name}'`);
  });

  it("a tensor of the wrong shape", async () => {
    const name = "model.layers.0.self_attn.k_proj.weight";
    const { error } = await loadError((s) => withTensor(s, name, () => ({ shape: [16, 8] })));
    expect(error.message).toBe(`tensor '${name}' has shape [16, 8], expected [8, 16]`);
    expect(error.file).toMatch(/model\.safetensors$/);
  });

  it("a tensor of a dtype that is not a float", async () => {
    const name = "model.norm.weight";
    const { error } = await loadError(
      (s) => s,
      async (d) => {
        // Rewrite the header in place: I32 has F32's width, so the data still fits.
        const file = path.join(d, "model.safetensors");
        const { readFile } = await import("node:fs/promises");
        const bytes = Buffer.from(await readFile(file));
        const header = bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString("utf8");
        const json = JSON.parse(header) as Record<string, { dtype: string }>;
        json[name]!.dtype = "I32";
        bytes.write(JSON.stringify(json).padEnd(header.length, " "), 8, "utf8");
        await writeFile(file, bytes);
      },
    );
    expect(error.message).toBe(`tensor '${name}' has dtype I32; weights must be F32, F16, BF16`);
  });

  it("a safetensors header longer than the file", async () => {
    const { error } = await loadError(
      (s) => s,
      async (d) => {
        const file = path.join(d, "model.safetensors");
        await truncate(file, 40);
      },
    );
    expect(error.message).toMatch(
      /^corrupt: the header is \d+ bytes long but the file has only 32 bytes after its length$/,
    );
  });

  it("a shard the index names that is absent", async () => {
    const { error } = await loadError(
      (s) => ({ ...s, shards: 2 }),
      (d) => rm(path.join(d, "model-00002-of-00002.safetensors")),
    );
    expect(error.message).toBe("names shard 'model-00002-of-00002.safetensors', which is not in the directory");
    expect(error.file).toMatch(/model\.safetensors\.index\.json$/);
  });

  it("a missing tokenizer.json", async () => {
    const { error } = await loadError((s) => ({ ...s, tokenizer: null }));
    expect(error.message).toMatch(/^no tokenizer\.json/);
  });

  it("a broken tokenizer.json", async () => {
    const { error } = await loadError((s) => ({ ...s, tokenizer: '{"model": ' }));
    expect(error.message).toMatch(/^not valid JSON/);
    expect(error.file).toMatch(/tokenizer\.json$/);
  });

  it("a tokenizer.json that is not a tokenizer", async () => {
    const { error } = await loadError((s) => ({ ...s, tokenizer: { model: { type: "Nonsense" } } }));
    expect(error.message).toMatch(/^not a usable tokenizer: /);
  });
});

describe("hub ids", () => {
  it("resolve to the snapshot refs/main names in HF_HUB_CACHE, and say where they looked when absent", async () => {
    const cache = path.join(dir, "hub");
    const repo = path.join(cache, "models--EleutherAI--pythia-tiny");
    await writeHfDir(path.join(repo, "snapshots", "abc123"), tinyLlama());
    await writeFile(path.join(path.join(repo, "refs"), "main"), "abc123").catch(async () => {
      const { mkdir } = await import("node:fs/promises");
      await mkdir(path.join(repo, "refs"), { recursive: true });
      await writeFile(path.join(repo, "refs", "main"), "abc123");
    });
    const env = { HF_HUB_CACHE: cache, HOME: dir };
    expect(resolveModelPath({ kind: "file", path: "EleutherAI/pythia-tiny" }, dir, env)).toBe(
      path.join(repo, "snapshots", "abc123"),
    );
    expect(() => resolveModelPath({ kind: "file", path: "EleutherAI/pythia-absent" }, dir, env)).toThrow(
      `no Hugging Face cache holds it (looked for models--EleutherAI--pythia-absent/snapshots in ${cache}`,
    );
  });
});

describe("memory", () => {
  it("a sweep over six sites builds one session over one copy of the weights", async () => {
    const model = await Model.load({ kind: "bundled", name: "stories260K" });
    try {
      const parameters = 292_800;
      expect(model.storedWeightBytes).toBe(4 * parameters);
      const source = [
        'model "stories260K"',
        'prompt source = "Once upon a time, there was a little girl named Lily."',
        'prompt target = "Once upon a time, there was a little boy named Tom."',
        "sweep l in 0..5",
        "patch resid[L=l, pos=-2] from source into target",
        "add 0.5 to mlp_out[L=1, pos=new] in target",
        "generate 4 from target",
      ].join("\n");
      const { plan } = compile(source);
      const before = createdSessionCount();
      const result = await runPlanOnModel(plan!, model);
      expect(result.runs).toHaveLength(6);
      expect(createdSessionCount() - before).toBe(1);
      expect(model.storedWeightBytes).toBe(4 * parameters);
      // A later request the session covers builds nothing more.
      await runPlanOnModel(compile(source.replace("0..5", "2..3")).plan!, model);
      expect(createdSessionCount() - before).toBe(1);
    } finally {
      await model.dispose();
    }
  });
});
