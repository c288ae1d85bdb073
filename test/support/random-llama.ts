// Writes small llama GGUF files with seeded random weights, laid out as llama.cpp's converter writes them:
// tensor names, ggml dimension order (fastest first), llama.* hyperparameters and a SentencePiece vocabulary.
// Tests use them to hold the runtime to the reference forward pass on shapes the bundled model lacks.

import { writeFile } from "node:fs/promises";
import { halfToFloat } from "../../runtime/formats/gguf.js";
import { SeededRandom } from "../../runtime/sampling.js";
import { floatToHalfBits, gv, writeGguf, type GgufTensorSpec, type GgufValuesType } from "./gguf-writer.js";
import type { GgufValue } from "../../runtime/formats/gguf.js";

export interface RandomLlamaOptions {
  layers?: number;
  dModel?: number;
  heads?: number;
  /** Key/value heads; `heads` (plain multi-head attention) when omitted. */
  kvHeads?: number;
  /** Width of the feed-forward hidden layer. */
  ff?: number;
  /** Text pieces after <unk>, <s>, </s> and the 256 byte tokens; each scores below the one before. */
  pieces?: readonly string[];
  /** Whether the output projection is the token embedding (no output.weight); default true. */
  tiedOutput?: boolean;
  /**
   * Type of the 2-D tensors; 1-D norm weights stay F32, as llama.cpp keeps them. Default F32. The tensors map
   * holds f16 values as stored, and quantized ones before quantization.
   */
  tensorType?: GgufValuesType;
  ropeTheta?: number;
  rmsEps?: number;
  contextLength?: number;
  version?: 2 | 3;
  seed?: number;
  /**
   * Zero the output row of EOS, so its logit is exactly 0 and greedy decoding never ends unless every logit is
   * negative. Random models otherwise stop at random points.
   */
  quietEos?: boolean;
  /** general.architecture; tests of unsupported architectures change it. Default "llama". */
  architecture?: string;
  /** Tensors left out of the file, for tests of incomplete models. */
  omitTensors?: readonly string[];
  /** Values written over a tensor's (its name, then index → value), for tests of corrupt weights. */
  overwrite?: { tensor: string; values: Readonly<Record<number, number>> };
  /** Metadata written over (or beside) the generated keys, for tests of inconsistent or unsupported models. */
  metadata?: Readonly<Record<string, GgufValue>>;
}

export interface RandomLlama {
  bytes: Uint8Array;
  /** The whole vocabulary, by id. */
  vocab: string[];
  /** Every tensor's values as the file stores them (after any f16 rounding), in ggml order. */
  tensors: Map<string, Float32Array>;
}

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;

/** Enough pieces for a few English words to merge into whole-word tokens; characters outside them fall back to bytes. */
export const DEFAULT_PIECES: readonly string[] = (
  "▁the ▁cat ▁sat ▁on ▁mat ▁a ▁dog ▁ran " +
  "▁th th he ▁c ▁ca at ▁s ▁sa ▁m ▁ma on ▁o ▁d ▁do og ▁r ▁ra an " +
  "▁ e t a o n s h c m d g r ."
).split(" ");

/**
 * Blocks write this much more than unit gain into the residual stream, so that it is not dominated by the token's
 * own embedding: with tied output, such a model would just repeat its last token.
 */
const BLOCK_GAIN = 4;

const TokenType = { Normal: 1, Unknown: 2, Control: 3, Byte: 6 } as const;

export function randomLlamaGguf(options: RandomLlamaOptions = {}): RandomLlama {
  const layers = options.layers ?? 2;
  const dModel = options.dModel ?? 32;
  const heads = options.heads ?? 4;
  const kvHeads = options.kvHeads ?? heads;
  const ff = options.ff ?? 2 * dModel + 8;
  const tensorType = options.tensorType ?? "F32";
  const kvWidth = (dModel / heads) * kvHeads;
  const random = new SeededRandom(options.seed ?? 1);
  const omitted = new Set(options.omitTensors ?? []);

  const vocab: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TokenType.Unknown, TokenType.Control, TokenType.Control];
  for (let b = 0; b < 256; b++) {
    vocab.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TokenType.Byte);
  }
  const pieces = options.pieces ?? DEFAULT_PIECES;
  for (const piece of pieces) {
    vocab.push(piece);
    types.push(TokenType.Normal);
  }
  const scores = vocab.map((_, id) => (id < 3 + 256 ? 0 : -(id - 3 - 256)));
  const vocabSize = vocab.length;

  const specs: GgufTensorSpec[] = [];
  const tensors = new Map<string, Float32Array>();
  /** Uniform in [center - spread, center + spread]. */
  const uniform = (count: number, spread: number, center = 0) =>
    Float32Array.from({ length: count }, () => center + spread * (2 * random.nextDouble() - 1));
  // Uniform weights of spread sqrt(3/in) keep unit-variance inputs at unit variance.
  const unitGain = (inDim: number) => Math.sqrt(3 / inDim);
  const add = (name: string, dims: number[], values: Float32Array) => {
    const type = dims.length === 1 ? "F32" : tensorType;
    const stored = type === "F16" ? values.map((v) => halfToFloat(floatToHalfBits(v))) : values;
    if (omitted.has(name)) return;
    if (options.overwrite?.tensor === name) {
      for (const [index, value] of Object.entries(options.overwrite.values)) stored[Number(index)] = value;
    }
    tensors.set(name, stored);
    specs.push({ name, dims, type, values: stored });
  };
  /** A matrix y = W·x with W row-major [out][in]; ggml lists it as [in, out]. */
  const matrix = (name: string, inDim: number, outDim: number, spread = unitGain(inDim)) =>
    add(name, [inDim, outDim], uniform(inDim * outDim, spread));
  const norm = (name: string) => add(name, [dModel], uniform(dModel, 0.2, 1));

  const embedding = uniform(vocabSize * dModel, 1);
  if (options.quietEos && (options.tiedOutput ?? true)) embedding.fill(0, EOS_ID * dModel, (EOS_ID + 1) * dModel);
  add("token_embd.weight", [dModel, vocabSize], embedding);
  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}.`;
    norm(`${p}attn_norm.weight`);
    matrix(`${p}attn_q.weight`, dModel, dModel);
    matrix(`${p}attn_k.weight`, dModel, kvWidth);
    matrix(`${p}attn_v.weight`, dModel, kvWidth);
    matrix(`${p}attn_output.weight`, dModel, dModel, BLOCK_GAIN * unitGain(dModel));
    norm(`${p}ffn_norm.weight`);
    matrix(`${p}ffn_gate.weight`, dModel, ff);
    matrix(`${p}ffn_up.weight`, dModel, ff);
    matrix(`${p}ffn_down.weight`, ff, dModel, BLOCK_GAIN * unitGain(ff));
  }
  norm("output_norm.weight");
  if (!(options.tiedOutput ?? true)) {
    // Logits with a standard deviation of about 2: a random model that still prefers some tokens clearly.
    const output = uniform(vocabSize * dModel, 2 * unitGain(dModel));
    if (options.quietEos) output.fill(0, EOS_ID * dModel, (EOS_ID + 1) * dModel);
    add("output.weight", [dModel, vocabSize], output);
  }

  const metadata: Record<string, GgufValue> = {
    "general.architecture": gv.str(options.architecture ?? "llama"),
    "general.name": gv.str("random-llama"),
    "llama.context_length": gv.u32(options.contextLength ?? 128),
    "llama.embedding_length": gv.u32(dModel),
    "llama.block_count": gv.u32(layers),
    "llama.feed_forward_length": gv.u32(ff),
    "llama.rope.dimension_count": gv.u32(dModel / heads),
    "llama.attention.head_count": gv.u32(heads),
    "llama.attention.head_count_kv": gv.u32(kvHeads),
    "llama.attention.layer_norm_rms_epsilon": gv.f32(options.rmsEps ?? 1e-5),
    "llama.rope.freq_base": gv.f32(options.ropeTheta ?? 10000),
    ...(tensorType === "F32" || tensorType === "F16"
      ? { "general.file_type": gv.u32(tensorType === "F16" ? 1 : 0) }
      : {}),
    "tokenizer.ggml.model": gv.str("llama"),
    "tokenizer.ggml.tokens": gv.array("string", vocab),
    "tokenizer.ggml.scores": gv.array("float32", scores),
    "tokenizer.ggml.token_type": gv.array("int32", types),
    "tokenizer.ggml.bos_token_id": gv.u32(BOS_ID),
    "tokenizer.ggml.eos_token_id": gv.u32(EOS_ID),
    "tokenizer.ggml.unknown_token_id": gv.u32(UNK_ID),
    ...options.metadata,
  };
  return { bytes: writeGguf({ version: options.version ?? 3, metadata, tensors: specs }), vocab, tensors };
}

/** Writes `randomLlamaGguf(options)` to `path`. */
export async function writeRandomLlama(path: string, options: RandomLlamaOptions = {}): Promise<RandomLlama> {
  const model = randomLlamaGguf(options);
  await writeFile(path, model.bytes);
  return model;
}
