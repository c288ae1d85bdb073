// GPT-2: learned positions, LayerNorm with bias, gelu_new, and one fused q|k|v projection. HF checkpoints keep
// OpenAI's Conv1D layout (y = x·W + b, W stored [in][out]); llama.cpp's GGUF stores the same layers [out][in].
// The unembedding is the token embedding, and no BOS is added.

import type { GgufFile } from "../formats/gguf.js";
import { ModelFormatError } from "../errors.js";
import { activationOf, checkedHeadDim, type Architecture, type HfConfig } from "./architecture.js";
import type { LayerWeights, Linear, ModelConfig, TransformerWeights } from "./config.js";
import type { WeightReader } from "./tensors.js";

interface Gpt2Shape {
  architecture: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  dFF: number;
  vocabSize: number;
  contextLength: number;
  normEps: number;
  activation: ModelConfig["activation"];
}

function gpt2Config(shape: Gpt2Shape, fail: (message: string) => Error): ModelConfig {
  const headDim = checkedHeadDim(shape.dModel, shape.nHeads, shape.nHeads, fail);
  return {
    ...shape,
    nKvHeads: shape.nHeads,
    headDim,
    norm: "layernorm",
    positional: "learned",
    rotaryDim: 0,
    ropeTheta: 0,
    ropeLayout: "rotate-half",
    gatedMlp: false,
    parallelResidual: false,
    qkvBias: true,
    attnOutBias: true,
    mlpBias: true,
    tiedEmbeddings: true,
  };
}

function configFromHf(hf: HfConfig): ModelConfig {
  const dModel = hf.count("n_embd");
  return gpt2Config(
    {
      architecture: hf.architecture,
      nLayers: hf.count("n_layer"),
      dModel,
      nHeads: hf.count("n_head"),
      dFF: hf.count("n_inner", 4 * dModel),
      vocabSize: hf.count("vocab_size"),
      contextLength: hf.count("n_positions"),
      normEps: hf.positive("layer_norm_epsilon", 1e-5),
      activation: activationOf(hf, "activation_function", "gelu_new"),
    },
    (m) => hf.fail(m),
  );
}

function configFromGguf(gguf: GgufFile): ModelConfig {
  const key = (name: string) => `gpt2.${name}`;
  const config = gpt2Config(
    {
      architecture: "gpt2",
      nLayers: gguf.getCount(key("block_count")),
      dModel: gguf.getCount(key("embedding_length")),
      nHeads: gguf.getCount(key("attention.head_count")),
      dFF: gguf.getCount(key("feed_forward_length")),
      vocabSize: gguf.tensorInfo("token_embd.weight").dims[1] ?? 0,
      contextLength: gguf.getCount(key("context_length")),
      normEps: gguf.getPositive(key("attention.layer_norm_epsilon")),
      activation: "gelu_new",
    },
    (m) => new ModelFormatError(m, gguf.fileName),
  );
  return { ...config, tiedEmbeddings: !gguf.tensors.has("output.weight") };
}

function weightsFromHf(reader: WeightReader, config: ModelConfig): TransformerWeights {
  const { dModel, dFF, vocabSize } = config;
  // The original checkpoints name tensors "h.0.…"; those saved from GPT2LMHeadModel add "transformer.".
  const prefix = reader.has("transformer.wte.weight") ? "transformer." : "";
  const conv1d = (name: string, inDim: number, outDim: number): Linear =>
    reader.linear(`${name}.weight`, inDim, outDim, { layout: "in-out", biasName: `${name}.bias` });
  const layerNorm = (name: string) => reader.norm(`${name}.weight`, dModel, `${name}.bias`);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `${prefix}h.${l}.`;
    layers.push({
      attnNorm: layerNorm(`${p}ln_1`),
      qkv: { kind: "fused", qkv: conv1d(`${p}attn.c_attn`, dModel, 3 * dModel), order: "blocks" },
      attnOut: conv1d(`${p}attn.c_proj`, dModel, dModel),
      mlpNorm: layerNorm(`${p}ln_2`),
      up: conv1d(`${p}mlp.c_fc`, dModel, dFF),
      down: conv1d(`${p}mlp.c_proj`, dFF, dModel),
    });
  }
  const tokenEmbedding = reader.tensor(`${prefix}wte.weight`, [vocabSize, dModel]);
  return {
    tokenEmbedding,
    positionEmbedding: reader.tensor(`${prefix}wpe.weight`, [config.contextLength, dModel]),
    layers,
    finalNorm: layerNorm(`${prefix}ln_f`),
    unembed: { weight: tokenEmbedding, inDim: dModel, outDim: vocabSize, layout: "out-in" },
  };
}

function weightsFromGguf(reader: WeightReader, config: ModelConfig): TransformerWeights {
  const { dModel, dFF, vocabSize } = config;
  const linear = (name: string, inDim: number, outDim: number): Linear =>
    reader.linear(`${name}.weight`, inDim, outDim, { biasName: `${name}.bias` });
  const layerNorm = (name: string) => reader.norm(`${name}.weight`, dModel, `${name}.bias`);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `blk.${l}.`;
    layers.push({
      attnNorm: layerNorm(`${p}attn_norm`),
      qkv: { kind: "fused", qkv: linear(`${p}attn_qkv`, dModel, 3 * dModel), order: "blocks" },
      attnOut: linear(`${p}attn_output`, dModel, dModel),
      mlpNorm: layerNorm(`${p}ffn_norm`),
      up: linear(`${p}ffn_up`, dModel, dFF),
      down: linear(`${p}ffn_down`, dFF, dModel),
    });
  }
  const tokenEmbedding = reader.tensor("token_embd.weight", [vocabSize, dModel]);
  return {
    tokenEmbedding,
    positionEmbedding: reader.tensor("position_embd.weight", [config.contextLength, dModel]),
    layers,
    finalNorm: layerNorm("output_norm"),
    unembed: config.tiedEmbeddings
      ? { weight: tokenEmbedding, inDim: dModel, outDim: vocabSize, layout: "out-in" }
      : reader.linear("output.weight", dModel, vocabSize),
  };
}

export const gpt2: Architecture = {
  hfClasses: ["GPT2LMHeadModel"],
  ggufArchitectures: ["gpt2"],
  configFromHf,
  configFromGguf,
  weightsFromHf,
  weightsFromGguf,
};
