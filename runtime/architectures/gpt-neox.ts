// GPT-NeoX (Pythia): attention and MLP read the same residual stream in parallel, rotary embeddings turn only
// the first rotary_pct of each head (rotate-half order), the fused query_key_value holds [q, k, v] per head,
// LayerNorms and every linear layer have biases, GELU is exact, and embed_out is its own matrix.

import { activationOf, checkedHeadDim, type Architecture, type HfConfig } from "./architecture.js";
import type { LayerWeights, Linear, ModelConfig, TransformerWeights } from "./config.js";
import type { WeightReader } from "./tensors.js";

function configFromHf(hf: HfConfig): ModelConfig {
  const dModel = hf.count("hidden_size");
  const nHeads = hf.count("num_attention_heads");
  const headDim = checkedHeadDim(dModel, nHeads, nHeads, (m) => hf.fail(m));
  const rotaryPct = hf.number("rotary_pct", 1);
  // transformers rounds the rotated width down: int(head_size * rotary_pct).
  const rotaryDim = Math.floor(headDim * rotaryPct);
  if (rotaryPct < 0 || rotaryPct > 1 || rotaryDim % 2 !== 0) {
    throw hf.fail(`rotary_pct ${rotaryPct} of ${headDim}-wide heads does not rotate an even number of dimensions`);
  }
  const bias = hf.boolean("attention_bias", true);
  return {
    architecture: hf.architecture,
    nLayers: hf.count("num_hidden_layers"),
    dModel,
    nHeads,
    nKvHeads: nHeads,
    headDim,
    dFF: hf.count("intermediate_size"),
    vocabSize: hf.count("vocab_size"),
    contextLength: hf.count("max_position_embeddings"),
    norm: "layernorm",
    normEps: hf.positive("layer_norm_eps", 1e-5),
    positional: "rotary",
    rotaryDim,
    ropeTheta: hf.positive("rotary_emb_base", hf.positive("rope_theta", 10000)),
    ropeLayout: "rotate-half",
    activation: activationOf(hf, "hidden_act", "gelu"),
    gatedMlp: false,
    parallelResidual: hf.boolean("use_parallel_residual", true),
    qkvBias: bias,
    attnOutBias: bias,
    mlpBias: true,
    tiedEmbeddings: hf.boolean("tie_word_embeddings", false),
  };
}

function weightsFromHf(reader: WeightReader, config: ModelConfig): TransformerWeights {
  const { dModel, dFF, vocabSize } = config;
  const linear = (name: string, inDim: number, outDim: number, bias: boolean): Linear =>
    reader.linear(`${name}.weight`, inDim, outDim, bias ? { biasName: `${name}.bias` } : {});
  const layerNorm = (name: string) => reader.norm(`${name}.weight`, dModel, `${name}.bias`);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `gpt_neox.layers.${l}.`;
    layers.push({
      attnNorm: layerNorm(`${p}input_layernorm`),
      qkv: {
        kind: "fused",
        qkv: linear(`${p}attention.query_key_value`, dModel, 3 * dModel, config.qkvBias),
        order: "per-head",
      },
      attnOut: linear(`${p}attention.dense`, dModel, dModel, config.attnOutBias),
      mlpNorm: layerNorm(`${p}post_attention_layernorm`),
      up: linear(`${p}mlp.dense_h_to_4h`, dModel, dFF, true),
      down: linear(`${p}mlp.dense_4h_to_h`, dFF, dModel, true),
    });
  }
  const tokenEmbedding = reader.tensor("gpt_neox.embed_in.weight", [vocabSize, dModel]);
  return {
    tokenEmbedding,
    layers,
    finalNorm: layerNorm("gpt_neox.final_layer_norm"),
    unembed: config.tiedEmbeddings
      ? { weight: tokenEmbedding, inDim: dModel, outDim: vocabSize, layout: "out-in" }
      : linear("embed_out", dModel, vocabSize, false),
  };
}

export const gptNeox: Architecture = {
  hfClasses: ["GPTNeoXForCausalLM"],
  ggufArchitectures: [],
  configFromHf,
  weightsFromHf,
};
