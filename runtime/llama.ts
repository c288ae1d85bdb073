// The llama architecture's hyperparameters and weights, read from a GGUF file.
// Weight matrices keep GGUF's layout: row-major [out][in], so y = W·x reads W row by row.

import type { GgufFile } from "./formats/gguf.js";
import { ModelFormatError } from "./errors.js";

export interface LlamaConfig {
  nLayers: number;
  dModel: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  dFF: number;
  vocabSize: number;
  rmsEps: number;
  ropeTheta: number;
  contextLength: number;
}

export interface LlamaLayerWeights {
  attnNorm: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  ffnNorm: Float32Array;
  wGate: Float32Array;
  wUp: Float32Array;
  wDown: Float32Array;
}

export interface LlamaWeights {
  /** [vocab][dModel] */
  tokenEmbedding: Float32Array;
  layers: LlamaLayerWeights[];
  outputNorm: Float32Array;
  /** [vocab][dModel]; the embedding itself when the model ties them. */
  output: Float32Array;
}

export interface LlamaModel {
  config: LlamaConfig;
  weights: LlamaWeights;
}

export function readLlamaConfig(gguf: GgufFile): LlamaConfig {
  const architecture = gguf.getString("general.architecture");
  if (architecture !== "llama") {
    throw new ModelFormatError(`architecture '${architecture}' is not supported yet (supported: llama)`, gguf.fileName);
  }
  const key = (name: string) => `llama.${name}`;
  const dModel = gguf.getNumber(key("embedding_length"));
  const nHeads = gguf.getNumber(key("attention.head_count"));
  const nKvHeads = gguf.has(key("attention.head_count_kv")) ? gguf.getNumber(key("attention.head_count_kv")) : nHeads;
  if (dModel % nHeads !== 0 || nHeads % nKvHeads !== 0) {
    throw new ModelFormatError(
      `inconsistent attention shape: width ${dModel}, ${nHeads} heads, ${nKvHeads} key/value heads`,
      gguf.fileName,
    );
  }
  const headDim = dModel / nHeads;
  if (gguf.has(key("rope.dimension_count")) && gguf.getNumber(key("rope.dimension_count")) !== headDim) {
    throw new ModelFormatError("partial rotary embeddings are not supported yet", gguf.fileName);
  }
  // Scaled or per-frequency RoPE (as in Llama 3.1 files) would run, silently wrong, as plain RoPE.
  const scaling = gguf.has(key("rope.scaling.type")) ? gguf.getString(key("rope.scaling.type")) : "none";
  if (scaling !== "none" || gguf.tensors.has("rope_freqs.weight")) {
    throw new ModelFormatError(
      `scaled rotary embeddings (${scaling === "none" ? "rope_freqs.weight" : scaling}) are not supported yet`,
      gguf.fileName,
    );
  }
  const embedding = gguf.tensorInfo("token_embd.weight");
  return {
    nLayers: gguf.getNumber(key("block_count")),
    dModel,
    nHeads,
    nKvHeads,
    headDim,
    dFF: gguf.getNumber(key("feed_forward_length")),
    vocabSize: embedding.dims[1] ?? 0,
    rmsEps: gguf.getNumber(key("attention.layer_norm_rms_epsilon")),
    ropeTheta: gguf.has(key("rope.freq_base")) ? gguf.getNumber(key("rope.freq_base")) : 10000,
    contextLength: gguf.getNumber(key("context_length")),
  };
}

export function readLlamaModel(gguf: GgufFile): LlamaModel {
  const config = readLlamaConfig(gguf);
  const { dModel, nKvHeads, headDim, dFF, vocabSize } = config;
  const kvWidth = nKvHeads * headDim;
  // GGUF lists dimensions fastest-first, so [in, out] here is a row-major [out][in] matrix.
  const tensor = (name: string, dims: number[]) => gguf.tensorF32(name, dims);
  const layers: LlamaLayerWeights[] = [];
  for (let l = 0; l < config.nLayers; l++) {
    const p = `blk.${l}.`;
    layers.push({
      attnNorm: tensor(`${p}attn_norm.weight`, [dModel]),
      wq: tensor(`${p}attn_q.weight`, [dModel, dModel]),
      wk: tensor(`${p}attn_k.weight`, [dModel, kvWidth]),
      wv: tensor(`${p}attn_v.weight`, [dModel, kvWidth]),
      wo: tensor(`${p}attn_output.weight`, [dModel, dModel]),
      ffnNorm: tensor(`${p}ffn_norm.weight`, [dModel]),
      wGate: tensor(`${p}ffn_gate.weight`, [dModel, dFF]),
      wUp: tensor(`${p}ffn_up.weight`, [dModel, dFF]),
      wDown: tensor(`${p}ffn_down.weight`, [dFF, dModel]),
    });
  }
  const tokenEmbedding = tensor("token_embd.weight", [dModel, vocabSize]);
  return {
    config,
    weights: {
      tokenEmbedding,
      layers,
      outputNorm: tensor("output_norm.weight", [dModel]),
      output: gguf.tensors.has("output.weight") ? tensor("output.weight", [dModel, vocabSize]) : tokenEmbedding,
    },
  };
}
