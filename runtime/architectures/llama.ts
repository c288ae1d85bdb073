// The llama family: Llama, Mistral and Qwen2 (RMSNorm, rotary embeddings, grouped-query attention, SwiGLU),
// from HF directories (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM) and GGUF files (llama — which
// Mistral's GGUFs are too — and qwen2). Qwen2 differs only in its q/k/v biases.

import type { GgufFile } from "../formats/gguf.js";
import { ModelFormatError } from "../errors.js";
import { checkedHeadDim, type Architecture, type HfConfig } from "./architecture.js";
import type { LayerWeights, ModelConfig, TransformerWeights } from "./config.js";
import type { WeightReader } from "./tensors.js";

const LLAMA_FAMILY_FLAGS = {
  norm: "rmsnorm",
  positional: "rotary",
  activation: "silu",
  gatedMlp: true,
  parallelResidual: false,
} as const;

function configFromHf(hf: HfConfig): ModelConfig {
  const dModel = hf.count("hidden_size");
  const nHeads = hf.count("num_attention_heads");
  const nKvHeads = hf.count("num_key_value_heads", nHeads);
  const headDim = checkedHeadDim(dModel, nHeads, nKvHeads, (m) => hf.fail(m), hf.count("head_dim", dModel / nHeads));
  const scaling = hf.json["rope_scaling"] as { rope_type?: string; type?: string } | null | undefined;
  const scalingType = scaling ? (scaling.rope_type ?? scaling.type ?? "unknown") : "default";
  // Scaled RoPE (Llama 3.1's "llama3", YaRN, ...) would run, silently wrong, as plain RoPE.
  if (scalingType !== "default") throw hf.fail(`scaled rotary embeddings ('${scalingType}') are not supported yet`);
  const qwen2 = hf.architecture === "Qwen2ForCausalLM";
  // Beyond the window, Mistral's sliding-window attention differs from full attention: stop at the window.
  const window =
    hf.has("sliding_window") && (!qwen2 || hf.boolean("use_sliding_window", false))
      ? hf.count("sliding_window")
      : Infinity;
  const attentionBias = hf.boolean("attention_bias", false);
  return {
    architecture: hf.architecture,
    nLayers: hf.count("num_hidden_layers"),
    dModel,
    nHeads,
    nKvHeads,
    headDim,
    dFF: hf.count("intermediate_size"),
    vocabSize: hf.count("vocab_size"),
    contextLength: Math.min(hf.count("max_position_embeddings"), window),
    ...LLAMA_FAMILY_FLAGS,
    normEps: hf.positive("rms_norm_eps"),
    rotaryDim: headDim,
    ropeTheta: hf.positive("rope_theta", 10000),
    ropeLayout: "rotate-half",
    qkvBias: qwen2 || attentionBias,
    attnOutBias: attentionBias,
    mlpBias: hf.boolean("mlp_bias", false),
    tiedEmbeddings: hf.boolean("tie_word_embeddings", false),
  };
}

function configFromGguf(gguf: GgufFile): ModelConfig {
  const arch = gguf.getString("general.architecture");
  const fail = (message: string) => new ModelFormatError(message, gguf.fileName);
  const key = (name: string) => `${arch}.${name}`;
  const dModel = gguf.getCount(key("embedding_length"));
  const nHeads = gguf.getCount(key("attention.head_count"));
  const nKvHeads = gguf.has(key("attention.head_count_kv")) ? gguf.getCount(key("attention.head_count_kv")) : nHeads;
  const headDim = checkedHeadDim(dModel, nHeads, nKvHeads, fail);
  if (gguf.has(key("rope.dimension_count")) && gguf.getCount(key("rope.dimension_count")) !== headDim) {
    throw fail("partial rotary embeddings are not supported in llama GGUF files");
  }
  const scaling = gguf.has(key("rope.scaling.type")) ? gguf.getString(key("rope.scaling.type")) : "none";
  if (scaling !== "none" || gguf.tensors.has("rope_freqs.weight")) {
    throw fail(
      `scaled rotary embeddings (${scaling === "none" ? "rope_freqs.weight" : scaling}) are not supported yet`,
    );
  }
  const qwen2 = arch === "qwen2";
  return {
    architecture: arch,
    nLayers: gguf.getCount(key("block_count")),
    dModel,
    nHeads,
    nKvHeads,
    headDim,
    dFF: gguf.getCount(key("feed_forward_length")),
    vocabSize: gguf.tensorInfo("token_embd.weight").dims[1] ?? 0,
    contextLength: gguf.getCount(key("context_length")),
    ...LLAMA_FAMILY_FLAGS,
    normEps: gguf.getPositive(key("attention.layer_norm_rms_epsilon")),
    rotaryDim: headDim,
    ropeTheta: gguf.has(key("rope.freq_base")) ? gguf.getPositive(key("rope.freq_base")) : 10000,
    // llama.cpp's converter permutes llama's q/k rows for its adjacent-pair RoPE; qwen2 uses NeoX RoPE, unpermuted.
    ropeLayout: qwen2 ? "rotate-half" : "adjacent-pairs",
    qkvBias: qwen2 || gguf.tensors.has("blk.0.attn_q.bias"),
    attnOutBias: gguf.tensors.has("blk.0.attn_output.bias"),
    mlpBias: false,
    tiedEmbeddings: !gguf.tensors.has("output.weight"),
  };
}

/** Tensor names of one layer, in a file's naming scheme. */
interface LayerNames {
  attnNorm: string;
  q: string;
  k: string;
  v: string;
  o: string;
  mlpNorm: string;
  gate: string;
  up: string;
  down: string;
}

interface FileNames {
  embedding: string;
  finalNorm: string;
  unembed: string;
  layer: (l: number) => LayerNames;
}

const HF_NAMES: FileNames = {
  embedding: "model.embed_tokens.weight",
  finalNorm: "model.norm.weight",
  unembed: "lm_head.weight",
  layer: (l) => {
    const p = `model.layers.${l}.`;
    return {
      attnNorm: `${p}input_layernorm.weight`,
      q: `${p}self_attn.q_proj`,
      k: `${p}self_attn.k_proj`,
      v: `${p}self_attn.v_proj`,
      o: `${p}self_attn.o_proj`,
      mlpNorm: `${p}post_attention_layernorm.weight`,
      gate: `${p}mlp.gate_proj`,
      up: `${p}mlp.up_proj`,
      down: `${p}mlp.down_proj`,
    };
  },
};

const GGUF_NAMES: FileNames = {
  embedding: "token_embd.weight",
  finalNorm: "output_norm.weight",
  unembed: "output.weight",
  layer: (l) => {
    const p = `blk.${l}.`;
    return {
      attnNorm: `${p}attn_norm.weight`,
      q: `${p}attn_q`,
      k: `${p}attn_k`,
      v: `${p}attn_v`,
      o: `${p}attn_output`,
      mlpNorm: `${p}ffn_norm.weight`,
      gate: `${p}ffn_gate`,
      up: `${p}ffn_up`,
      down: `${p}ffn_down`,
    };
  },
};

/** Weights in either naming; HF names a layer "<prefix>.weight" / ".bias", and GGUF does too. */
function readWeights(names: FileNames, reader: WeightReader, config: ModelConfig): TransformerWeights {
  const { dModel, nHeads, nKvHeads, headDim, dFF, vocabSize } = config;
  const linear = (prefix: string, inDim: number, outDim: number, bias: boolean) =>
    reader.linear(`${prefix}.weight`, inDim, outDim, bias ? { biasName: `${prefix}.bias` } : {});
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const n = names.layer(l);
    layers.push({
      attnNorm: reader.norm(n.attnNorm, dModel),
      qkv: {
        kind: "separate",
        q: linear(n.q, dModel, nHeads * headDim, config.qkvBias),
        k: linear(n.k, dModel, nKvHeads * headDim, config.qkvBias),
        v: linear(n.v, dModel, nKvHeads * headDim, config.qkvBias),
      },
      attnOut: linear(n.o, nHeads * headDim, dModel, config.attnOutBias),
      mlpNorm: reader.norm(n.mlpNorm, dModel),
      gate: linear(n.gate, dModel, dFF, config.mlpBias),
      up: linear(n.up, dModel, dFF, config.mlpBias),
      down: linear(n.down, dFF, dModel, config.mlpBias),
    });
  }
  const tokenEmbedding = reader.tensor(names.embedding, [vocabSize, dModel]);
  return {
    tokenEmbedding,
    layers,
    finalNorm: reader.norm(names.finalNorm, dModel),
    unembed: config.tiedEmbeddings
      ? { weight: tokenEmbedding, inDim: dModel, outDim: vocabSize, layout: "out-in" }
      : linear(names.unembed.replace(/\.weight$/, ""), dModel, vocabSize, false),
  };
}

export const llama: Architecture = {
  hfClasses: ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM"],
  ggufArchitectures: ["llama", "qwen2"],
  configFromHf,
  configFromGguf,
  weightsFromHf: (reader, config) => readWeights(HF_NAMES, reader, config),
  weightsFromGguf: (reader, config) => readWeights(GGUF_NAMES, reader, config),
};
