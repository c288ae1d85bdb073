// One configuration for every supported architecture, with TransformerLens-style flags: the graph is built from
// these flags alone, so an architecture is its config mapping and weight names, never a graph of its own.

import type { ModelShape } from "../../compiler/model-check.js";
import type { SiteName } from "../../compiler/plan-ir.js";

export type NormKind = "rmsnorm" | "layernorm";

/** silu: x·σ(x) (gated, llama); gelu: exact, with erf (GPT-NeoX); gelu_new: GPT-2's tanh approximation. */
export type Activation = "silu" | "gelu" | "gelu_new";

export interface ModelConfig {
  /** The architecture as its file names it: an HF class such as "LlamaForCausalLM", or a GGUF architecture. */
  architecture: string;
  nLayers: number;
  dModel: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  dFF: number;
  vocabSize: number;
  /** The most positions a sequence may have (learned position embeddings, trained context, sliding window). */
  contextLength: number;
  norm: NormKind;
  normEps: number;
  /** learned: an embedding per position added to the tokens'; rotary: RoPE on queries and keys. */
  positional: "learned" | "rotary";
  /** Rotary: how many leading dimensions of each head rotate (GPT-NeoX's rotary_pct), and the base. */
  rotaryDim: number;
  ropeTheta: number;
  /**
   * The order of each head's dimensions in the q/k weights: HF checkpoints rotate halves (i with i + d/2); llama
   * GGUF files permute rows for adjacent pairs (2i with 2i+1). The graph restores HF's order right after the
   * projection, so the q and k sites mean the same in both files.
   */
  ropeLayout: "rotate-half" | "adjacent-pairs";
  activation: Activation;
  /** down(act(gate·x) ⊙ up·x) rather than down(act(up·x)). */
  gatedMlp: boolean;
  /** x + attn(ln1 x) + mlp(ln2 x), as GPT-NeoX computes, rather than attention then MLP. */
  parallelResidual: boolean;
  qkvBias: boolean;
  attnOutBias: boolean;
  mlpBias: boolean;
  /** The unembedding is the token embedding matrix. */
  tiedEmbeddings: boolean;
}

/** The model as the checks of a plan see it (compiler/model-check.ts). */
export function modelShape(config: ModelConfig): ModelShape {
  return { ...config, absentSites: absentSites(config) };
}

/** Sites an architecture lacks, each with the reason a diagnostic gives. */
export function absentSites(config: ModelConfig): Map<SiteName, string> {
  const absent = new Map<SiteName, string>();
  if (config.parallelResidual) {
    absent.set(
      "resid_mid",
      "attention and MLP read the same residual stream in parallel (x + attn(x) + mlp(x)), so there is no stream between them",
    );
  }
  return absent;
}

/** The bytes of a tensor in a file: where onnxruntime maps weights from, so they are held once. */
export interface FileSlice {
  /** The file's name in the weight store's folder. */
  location: string;
  offset: number;
  length: number;
}

/** Weight data for the graph: a slice of a weight file, or (for small derived tables) values in memory. */
export type TensorData = FileSlice | Float32Array;

/**
 * A matrix stored [out][in] and kept block-quantized in the graph (onnxruntime's MatMulNBits): per row, the codes
 * of its blocks along `in`, `bits` bits each; one float32 scale per block; element = (code − 2^(bits−1))·scale,
 * plus the block's offset where there are offsets.
 */
export interface BlockQuantized {
  kind: "block-quantized";
  bits: 4 | 8;
  /** MatMulNBits' accuracy_level: 0 float32 arithmetic, 4 int8 activations (see NBitsLayout). */
  accuracyLevel: 0 | 4;
  /** Elements per block along `in`. */
  blockSize: number;
  codes: FileSlice;
  scales: FileSlice;
  /**
   * Added to every element of its block ([out][in / blockSize]): the mins of the types with mins, which the zero
   * point cannot hold.
   */
  offsets?: FileSlice;
}

/**
 * A dense layer y = x·W (+ b). `layout` is how W is stored: [out][in] (HF Linear, GGUF) or [in][out] (Conv1D);
 * a block-quantized W is [out][in].
 */
export interface Linear {
  weight: TensorData | BlockQuantized;
  inDim: number;
  outDim: number;
  layout: "out-in" | "in-out";
  bias?: TensorData;
}

export interface Norm {
  weight: TensorData;
  /** LayerNorm's shift; RMSNorm has none. */
  bias?: TensorData;
}

/**
 * The query/key/value projections: three layers, or one whose output holds them all, as [q | k | v] blocks
 * (GPT-2's c_attn) or per head as [q, k, v] (GPT-NeoX's query_key_value).
 */
export type QkvProjection =
  { kind: "separate"; q: Linear; k: Linear; v: Linear } | { kind: "fused"; qkv: Linear; order: "blocks" | "per-head" };

export interface LayerWeights {
  attnNorm: Norm;
  qkv: QkvProjection;
  attnOut: Linear;
  mlpNorm: Norm;
  /** Present exactly when the config's gatedMlp is. */
  gate?: Linear;
  up: Linear;
  down: Linear;
}

export interface TransformerWeights {
  /** [vocab][dModel] */
  tokenEmbedding: TensorData;
  /** [contextLength][dModel], for learned positions. */
  positionEmbedding?: TensorData;
  layers: LayerWeights[];
  finalNorm: Norm;
  /** dModel → vocab; the token embedding itself (layout out-in) when tied. */
  unembed: Linear;
}
