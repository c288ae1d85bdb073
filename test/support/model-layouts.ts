// Random transformers in the canonical form of the reference forward pass, written out in the file layouts of
// real checkpoints: GPT-2, GPT-NeoX (Pythia), Llama/Mistral/Qwen2 HF directories, and qwen2/gpt2 GGUF files.
// Each layout is written here from its published description, independently of runtime/architectures/, so a
// test that both agree on the logits checks the runtime's reading of the layout.

import { SeededRandom } from "../../runtime/sampling.js";
import type { GgufValue } from "../../runtime/formats/gguf.js";
import { gv, writeGguf } from "./gguf-writer.js";
import { BYTE_LEVEL_EOS_ID, byteLevelTokenizerJson, type HfDirSpec } from "./hf-dir-writer.js";
import type { ReferenceConfig, ReferenceDense, ReferenceNorm, ReferenceTransformer } from "./reference-forward.js";
import type { SafetensorsDtype, SafetensorsTensor } from "./safetensors-writer.js";

export interface RandomTransformerOptions {
  config: Omit<ReferenceConfig, "vocabSize">;
  /** Rows of the learned position table, when there is one. */
  learnedPositions?: number;
  /** Biases on q, k and v; on the attention output; on the MLP's layers; on the norms (LayerNorm's shift). */
  biases?: { qkv?: boolean; attnOut?: boolean; mlp?: boolean; norm?: boolean };
  tied: boolean;
  seed: number;
  /** Default: the byte-level vocabulary of hf-dir-writer (257 tokens). */
  vocabSize?: number;
}

/** Random weights of a size that keeps activations O(1). */
export function randomTransformer(options: RandomTransformerOptions): ReferenceTransformer {
  const config: ReferenceConfig = { ...options.config, vocabSize: options.vocabSize ?? BYTE_LEVEL_EOS_ID + 1 };
  const random = new SeededRandom(options.seed);
  const values = (length: number, scale: number, offset = 0) =>
    Float32Array.from({ length }, () => offset + (random.nextDouble() - 0.5) * 2 * scale);
  const { dModel: d, dFF, nHeads, nKvHeads, headDim } = config;
  const biases = options.biases ?? {};
  const linear = (inDim: number, outDim: number, bias: boolean | undefined): ReferenceDense => ({
    w: values(inDim * outDim, 1 / Math.sqrt(inDim)),
    ...(bias ? { b: values(outDim, 0.1) } : {}),
  });
  const norm = (): ReferenceNorm => ({ w: values(d, 0.2, 1), ...(biases.norm ? { b: values(d, 0.1) } : {}) });
  const embed = values(config.vocabSize * d, 1);
  return {
    config,
    embed,
    ...(options.learnedPositions ? { positions: values(options.learnedPositions * d, 0.5) } : {}),
    layers: Array.from({ length: config.nLayers }, () => ({
      ln1: norm(),
      q: linear(d, nHeads * headDim, biases.qkv),
      k: linear(d, nKvHeads * headDim, biases.qkv),
      v: linear(d, nKvHeads * headDim, biases.qkv),
      o: linear(nHeads * headDim, d, biases.attnOut),
      ln2: norm(),
      ...(config.gated ? { gate: linear(d, dFF, biases.mlp) } : {}),
      up: linear(d, dFF, biases.mlp),
      down: linear(dFF, d, biases.mlp),
    })),
    finalNorm: norm(),
    unembed: options.tied ? embed : values(config.vocabSize * d, 1 / Math.sqrt(d)),
  };
}

/** [rows][cols] → [cols][rows]. */
function transposed(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

const concat = (...parts: Float32Array[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
};

/** A tensor list builder: names and shapes as a file states them, outermost dimension first. */
class Tensors {
  readonly list: { name: string; shape: number[]; values: Float32Array }[] = [];
  add(name: string, shape: number[], values: Float32Array | undefined): void {
    if (values) this.list.push({ name, shape, values });
  }
  dense(prefix: string, layer: ReferenceDense, outDim: number, inDim: number): void {
    this.add(`${prefix}.weight`, [outDim, inDim], layer.w);
    this.add(`${prefix}.bias`, [outDim], layer.b);
  }
  norm(prefix: string, norm: ReferenceNorm, width: number): void {
    this.add(`${prefix}.weight`, [width], norm.w);
    this.add(`${prefix}.bias`, [width], norm.b);
  }
  safetensors(dtype: SafetensorsDtype): SafetensorsTensor[] {
    return this.list.map((t) => ({ ...t, dtype }));
  }
}

/** GPT2LMHeadModel: Conv1D weights stored [in][out], q|k|v fused in c_attn, and the causal-mask buffers. */
export function gpt2Dir(model: ReferenceTransformer, dtype: SafetensorsDtype = "F32"): HfDirSpec {
  const c = model.config;
  const d = c.dModel;
  const positions = model.positions!.length / d;
  const t = new Tensors();
  t.add("wte.weight", [c.vocabSize, d], model.embed);
  t.add("wpe.weight", [positions, d], model.positions);
  model.layers.forEach((layer, l) => {
    const p = `h.${l}.`;
    const conv1d = (name: string, w: Float32Array, b: Float32Array, inDim: number, outDim: number) => {
      t.add(`${p}${name}.weight`, [inDim, outDim], transposed(w, outDim, inDim));
      t.add(`${p}${name}.bias`, [outDim], b);
    };
    t.norm(`${p}ln_1`, layer.ln1, d);
    // Real checkpoints keep the causal mask as a buffer, which a reader must pass over.
    t.add(`${p}attn.bias`, [1, 1, positions, positions], new Float32Array(positions * positions).fill(1));
    conv1d(
      "attn.c_attn",
      concat(layer.q.w, layer.k.w, layer.v.w),
      concat(layer.q.b!, layer.k.b!, layer.v.b!),
      d,
      3 * d,
    );
    conv1d("attn.c_proj", layer.o.w, layer.o.b!, d, d);
    t.norm(`${p}ln_2`, layer.ln2, d);
    conv1d("mlp.c_fc", layer.up.w, layer.up.b!, d, c.dFF);
    conv1d("mlp.c_proj", layer.down.w, layer.down.b!, c.dFF, d);
  });
  t.norm("ln_f", model.finalNorm, d);
  return {
    config: {
      architectures: ["GPT2LMHeadModel"],
      model_type: "gpt2",
      n_layer: c.nLayers,
      n_embd: d,
      n_head: c.nHeads,
      n_inner: null,
      n_positions: positions,
      n_ctx: positions,
      vocab_size: c.vocabSize,
      layer_norm_epsilon: c.normEps,
      activation_function: "gelu_new",
      bos_token_id: BYTE_LEVEL_EOS_ID,
      eos_token_id: BYTE_LEVEL_EOS_ID,
    },
    tensors: t.safetensors(dtype),
  };
}

/** GPTNeoXForCausalLM: query_key_value rows per head as [q, k, v], every layer with a bias, rotary buffers. */
export function gptNeoxDir(model: ReferenceTransformer, contextLength: number): HfDirSpec {
  const c = model.config;
  const d = c.dModel;
  const t = new Tensors();
  t.add("gpt_neox.embed_in.weight", [c.vocabSize, d], model.embed);
  const perHead = (q: Float32Array, k: Float32Array, v: Float32Array, width: number) => {
    const block = c.headDim * width;
    const heads = Array.from({ length: c.nHeads }, (_, h) =>
      [q, k, v].map((part) => part.subarray(h * block, (h + 1) * block)),
    );
    return concat(...heads.flat());
  };
  model.layers.forEach((layer, l) => {
    const p = `gpt_neox.layers.${l}.`;
    t.norm(`${p}input_layernorm`, layer.ln1, d);
    t.norm(`${p}post_attention_layernorm`, layer.ln2, d);
    t.add(`${p}attention.query_key_value.weight`, [3 * d, d], perHead(layer.q.w, layer.k.w, layer.v.w, d));
    t.add(`${p}attention.query_key_value.bias`, [3 * d], perHead(layer.q.b!, layer.k.b!, layer.v.b!, 1));
    t.add(
      `${p}attention.rotary_emb.inv_freq`,
      [c.rotaryDim / 2],
      Float32Array.from({ length: c.rotaryDim / 2 }, (_, i) => c.ropeTheta ** ((-2 * i) / c.rotaryDim)),
    );
    t.dense(`${p}attention.dense`, layer.o, d, d);
    t.dense(`${p}mlp.dense_h_to_4h`, layer.up, c.dFF, d);
    t.dense(`${p}mlp.dense_4h_to_h`, layer.down, d, c.dFF);
  });
  t.norm("gpt_neox.final_layer_norm", model.finalNorm, d);
  t.add("embed_out.weight", [c.vocabSize, d], model.unembed);
  return {
    config: {
      architectures: ["GPTNeoXForCausalLM"],
      model_type: "gpt_neox",
      num_hidden_layers: c.nLayers,
      hidden_size: d,
      num_attention_heads: c.nHeads,
      intermediate_size: c.dFF,
      vocab_size: c.vocabSize,
      max_position_embeddings: contextLength,
      layer_norm_eps: c.normEps,
      rotary_pct: c.rotaryDim / c.headDim,
      rotary_emb_base: c.ropeTheta,
      hidden_act: "gelu",
      use_parallel_residual: c.parallel,
      tie_word_embeddings: false,
      bos_token_id: BYTE_LEVEL_EOS_ID,
      eos_token_id: BYTE_LEVEL_EOS_ID,
    },
    tensors: t.safetensors("F32"),
  };
}

export type LlamaFamilyClass = "LlamaForCausalLM" | "MistralForCausalLM" | "Qwen2ForCausalLM";

/** The llama family's HF layout; config fields (sliding windows, rope_theta) come with the class. */
export function llamaFamilyDir(
  model: ReferenceTransformer,
  hfClass: LlamaFamilyClass,
  options: { contextLength: number; tied: boolean; config?: Record<string, unknown>; dtype?: SafetensorsDtype },
): HfDirSpec {
  const c = model.config;
  const d = c.dModel;
  const t = new Tensors();
  t.add("model.embed_tokens.weight", [c.vocabSize, d], model.embed);
  model.layers.forEach((layer, l) => {
    const p = `model.layers.${l}.`;
    t.norm(`${p}input_layernorm`, layer.ln1, d);
    t.dense(`${p}self_attn.q_proj`, layer.q, c.nHeads * c.headDim, d);
    t.dense(`${p}self_attn.k_proj`, layer.k, c.nKvHeads * c.headDim, d);
    t.dense(`${p}self_attn.v_proj`, layer.v, c.nKvHeads * c.headDim, d);
    t.dense(`${p}self_attn.o_proj`, layer.o, d, c.nHeads * c.headDim);
    t.norm(`${p}post_attention_layernorm`, layer.ln2, d);
    t.dense(`${p}mlp.gate_proj`, layer.gate!, c.dFF, d);
    t.dense(`${p}mlp.up_proj`, layer.up, c.dFF, d);
    t.dense(`${p}mlp.down_proj`, layer.down, d, c.dFF);
  });
  t.norm("model.norm", model.finalNorm, d);
  if (!options.tied) t.add("lm_head.weight", [c.vocabSize, d], model.unembed);
  return {
    config: {
      architectures: [hfClass],
      model_type: { LlamaForCausalLM: "llama", MistralForCausalLM: "mistral", Qwen2ForCausalLM: "qwen2" }[hfClass],
      num_hidden_layers: c.nLayers,
      hidden_size: d,
      num_attention_heads: c.nHeads,
      num_key_value_heads: c.nKvHeads,
      intermediate_size: c.dFF,
      vocab_size: c.vocabSize,
      max_position_embeddings: options.contextLength,
      rms_norm_eps: c.normEps,
      rope_theta: c.ropeTheta,
      hidden_act: "silu",
      tie_word_embeddings: options.tied,
      bos_token_id: BYTE_LEVEL_EOS_ID,
      eos_token_id: BYTE_LEVEL_EOS_ID,
      ...options.config,
    },
    tensors: t.safetensors(options.dtype ?? "F32"),
  };
}

/** The byte-level vocabulary as GGUF metadata (tokenizer.ggml.model = gpt2), as llama.cpp's converter writes it. */
export function byteLevelGgufVocabulary(): Record<string, GgufValue> {
  const vocab = (byteLevelTokenizerJson()["model"] as { vocab: Record<string, number> }).vocab;
  const tokens = Object.entries(vocab)
    .sort(([, a], [, b]) => a - b)
    .map(([token]) => token);
  return {
    "tokenizer.ggml.model": gv.str("gpt2"),
    "tokenizer.ggml.pre": gv.str("gpt-2"),
    "tokenizer.ggml.tokens": gv.array("string", tokens),
    "tokenizer.ggml.token_type": gv.array(
      "int32",
      tokens.map((_, id) => (id === BYTE_LEVEL_EOS_ID ? 3 : 1)),
    ),
    "tokenizer.ggml.merges": gv.array("string", []),
    "tokenizer.ggml.eos_token_id": gv.u32(BYTE_LEVEL_EOS_ID),
  };
}

/** A GGUF of the tensors, ggml's dimension order (fastest first) being the reverse of the shapes given. */
function ggufOf(metadata: Record<string, GgufValue>, tensors: Tensors): Uint8Array {
  return writeGguf({
    metadata: { ...metadata, ...byteLevelGgufVocabulary() },
    tensors: tensors.list.map((t) => ({
      name: t.name,
      dims: [...t.shape].reverse(),
      type: "F32" as const,
      values: t.values,
    })),
  });
}

/** A qwen2 GGUF, as llama.cpp converts Qwen2: q/k rows in HF's order (NeoX RoPE), q/k/v biases. */
export function qwen2Gguf(model: ReferenceTransformer, options: { contextLength: number; tied: boolean }): Uint8Array {
  const c = model.config;
  const d = c.dModel;
  const t = new Tensors();
  t.add("token_embd.weight", [c.vocabSize, d], model.embed);
  model.layers.forEach((layer, l) => {
    const p = `blk.${l}.`;
    t.norm(`${p}attn_norm`, layer.ln1, d);
    t.dense(`${p}attn_q`, layer.q, c.nHeads * c.headDim, d);
    t.dense(`${p}attn_k`, layer.k, c.nKvHeads * c.headDim, d);
    t.dense(`${p}attn_v`, layer.v, c.nKvHeads * c.headDim, d);
    t.dense(`${p}attn_output`, layer.o, d, c.nHeads * c.headDim);
    t.norm(`${p}ffn_norm`, layer.ln2, d);
    t.dense(`${p}ffn_gate`, layer.gate!, c.dFF, d);
    t.dense(`${p}ffn_up`, layer.up, c.dFF, d);
    t.dense(`${p}ffn_down`, layer.down, d, c.dFF);
  });
  t.norm("output_norm", model.finalNorm, d);
  if (!options.tied) t.add("output.weight", [c.vocabSize, d], model.unembed);
  return ggufOf(
    {
      "general.architecture": gv.str("qwen2"),
      "qwen2.block_count": gv.u32(c.nLayers),
      "qwen2.embedding_length": gv.u32(d),
      "qwen2.feed_forward_length": gv.u32(c.dFF),
      "qwen2.attention.head_count": gv.u32(c.nHeads),
      "qwen2.attention.head_count_kv": gv.u32(c.nKvHeads),
      "qwen2.attention.layer_norm_rms_epsilon": gv.f32(c.normEps),
      "qwen2.context_length": gv.u32(options.contextLength),
      "qwen2.rope.freq_base": gv.f32(c.ropeTheta),
    },
    t,
  );
}

/** A gpt2 GGUF, as llama.cpp converts GPT-2: Conv1D weights turned to [out][in], c_attn kept fused as attn_qkv. */
export function gpt2Gguf(model: ReferenceTransformer): Uint8Array {
  const c = model.config;
  const d = c.dModel;
  const positions = model.positions!.length / d;
  const t = new Tensors();
  t.add("token_embd.weight", [c.vocabSize, d], model.embed);
  t.add("position_embd.weight", [positions, d], model.positions);
  model.layers.forEach((layer, l) => {
    const p = `blk.${l}.`;
    t.norm(`${p}attn_norm`, layer.ln1, d);
    t.dense(
      `${p}attn_qkv`,
      { w: concat(layer.q.w, layer.k.w, layer.v.w), b: concat(layer.q.b!, layer.k.b!, layer.v.b!) },
      3 * d,
      d,
    );
    t.dense(`${p}attn_output`, layer.o, d, d);
    t.norm(`${p}ffn_norm`, layer.ln2, d);
    t.dense(`${p}ffn_up`, layer.up, c.dFF, d);
    t.dense(`${p}ffn_down`, layer.down, d, c.dFF);
  });
  t.norm("output_norm", model.finalNorm, d);
  return ggufOf(
    {
      "general.architecture": gv.str("gpt2"),
      "gpt2.block_count": gv.u32(c.nLayers),
      "gpt2.embedding_length": gv.u32(d),
      "gpt2.feed_forward_length": gv.u32(c.dFF),
      "gpt2.attention.head_count": gv.u32(c.nHeads),
      "gpt2.attention.layer_norm_epsilon": gv.f32(c.normEps),
      "gpt2.context_length": gv.u32(positions),
    },
    t,
  );
}
