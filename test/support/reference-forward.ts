// A slow, obviously correct transformer forward pass: plain loops over Float64Arrays, no cache, no ONNX.
// Tests hold the ONNX runtime to it. It follows the textbook definitions of GPT-2, GPT-NeoX and the llama family
// position by position, on weights in one canonical form (HF's q/k order, [out][in] matrices); tests write the
// same weights in each file layout themselves, independently of the runtime's architecture code. A llama GGUF
// (q/k rows permuted for RoPE over adjacent pairs) is read back into that form, so hooks see q and k in HF's
// order (halves), as the runtime's sites give them.

import type { GgufFile } from "../../runtime/formats/gguf.js";
import type { ActivationSite } from "../../runtime/sites.js";

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
}

/** Row-major [out][in] matrices, as GGUF stores them. */
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

export interface LlamaModel {
  config: LlamaConfig;
  weights: {
    tokenEmbedding: Float32Array;
    layers: LlamaLayerWeights[];
    outputNorm: Float32Array;
    output: Float32Array;
  };
}

/** Reads a llama GGUF's weights for the reference, independently of the runtime's architecture code. */
export function readReferenceLlama(gguf: GgufFile): LlamaModel {
  const n = (key: string) => gguf.getNumber(`llama.${key}`);
  const dModel = n("embedding_length");
  const nHeads = n("attention.head_count");
  const nKvHeads = gguf.has("llama.attention.head_count_kv") ? n("attention.head_count_kv") : nHeads;
  const embedding = gguf.tensorInfo("token_embd.weight");
  const config: LlamaConfig = {
    nLayers: n("block_count"),
    dModel,
    nHeads,
    nKvHeads,
    headDim: dModel / nHeads,
    dFF: n("feed_forward_length"),
    vocabSize: embedding.dims[1]!,
    rmsEps: n("attention.layer_norm_rms_epsilon"),
    ropeTheta: gguf.has("llama.rope.freq_base") ? n("rope.freq_base") : 10000,
  };
  const t = (name: string) => gguf.tensorF32(name);
  const layers = Array.from({ length: config.nLayers }, (_, l): LlamaLayerWeights => {
    const p = `blk.${l}.`;
    return {
      attnNorm: t(`${p}attn_norm.weight`),
      wq: t(`${p}attn_q.weight`),
      wk: t(`${p}attn_k.weight`),
      wv: t(`${p}attn_v.weight`),
      wo: t(`${p}attn_output.weight`),
      ffnNorm: t(`${p}ffn_norm.weight`),
      wGate: t(`${p}ffn_gate.weight`),
      wUp: t(`${p}ffn_up.weight`),
      wDown: t(`${p}ffn_down.weight`),
    };
  });
  const tokenEmbedding = t("token_embd.weight");
  return {
    config,
    weights: {
      tokenEmbedding,
      layers,
      outputNorm: t("output_norm.weight"),
      output: gguf.tensors.has("output.weight") ? t("output.weight") : tokenEmbedding,
    },
  };
}

/** Called with each site's activation at each position; may change it in place (an intervention). */
export type ReferenceHook = (site: ActivationSite, position: number, x: Float64Array) => void;

/**
 * The architecture of a reference transformer, as flags: the textbook definitions of GPT-2, GPT-NeoX and the
 * llama family differ only in these.
 */
export interface ReferenceConfig {
  nLayers: number;
  dModel: number;
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  dFF: number;
  vocabSize: number;
  norm: "rmsnorm" | "layernorm";
  normEps: number;
  /** Leading dimensions of each head that rotate, in rotate-half order (i with i + rotaryDim/2); 0 for none. */
  rotaryDim: number;
  ropeTheta: number;
  /** silu; gelu: 0.5x(1 + erf(x/√2)); gelu_tanh: GPT-2's 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  activation: "silu" | "gelu" | "gelu_tanh";
  /** down(act(gate x) ⊙ up x) rather than down(act(up x)). */
  gated: boolean;
  /** x + attn(ln1 x) + mlp(ln2 x) rather than attention, then the MLP on the stream after it. */
  parallel: boolean;
}

/** y = W x + b, W row-major [out][in]. */
export interface ReferenceDense {
  w: Float32Array;
  b?: Float32Array;
}

export interface ReferenceNorm {
  w: Float32Array;
  b?: Float32Array;
}

export interface ReferenceLayer {
  ln1: ReferenceNorm;
  q: ReferenceDense;
  k: ReferenceDense;
  v: ReferenceDense;
  o: ReferenceDense;
  ln2: ReferenceNorm;
  gate?: ReferenceDense;
  up: ReferenceDense;
  down: ReferenceDense;
}

/** Weights in one canonical form (HF's q/k order, [out][in] matrices), whatever layout a file stores. */
export interface ReferenceTransformer {
  config: ReferenceConfig;
  /** [vocab][dModel] */
  embed: Float32Array;
  /** [positions][dModel], for learned positions. */
  positions?: Float32Array;
  layers: ReferenceLayer[];
  finalNorm: ReferenceNorm;
  /** [vocab][dModel] */
  unembed: Float32Array;
}

type Vec = Float64Array;

function dense(layer: ReferenceDense, x: Vec): Vec {
  const inDim = x.length;
  const outDim = layer.w.length / inDim;
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let sum = layer.b ? layer.b[o]! : 0;
    for (let i = 0; i < inDim; i++) sum += layer.w[o * inDim + i]! * x[i]!;
    y[o] = sum;
  }
  return y;
}

function normalize(c: ReferenceConfig, norm: ReferenceNorm, x: Vec): Vec {
  const n = x.length;
  const mean = c.norm === "layernorm" ? x.reduce((a, v) => a + v, 0) / n : 0;
  let sumSquares = 0;
  for (const v of x) sumSquares += (v - mean) * (v - mean);
  const scale = 1 / Math.sqrt(sumSquares / n + c.normEps);
  return x.map((v, i) => (v - mean) * scale * norm.w[i]! + (norm.b ? norm.b[i]! : 0));
}

/** erf to about 1e-15 by its Taylor series (|x| < 3) or its continued fraction: exact enough for float32 tests. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 100; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated from the tail.
  let fraction = ax;
  for (let n = 60; n >= 1; n--) fraction = ax + n / 2 / fraction;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction);
}

function activate(c: ReferenceConfig, x: number): number {
  switch (c.activation) {
    case "silu":
      return x / (1 + Math.exp(-x));
    case "gelu":
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case "gelu_tanh":
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }
}

/** Rotates the first rotaryDim dimensions of every head in place: i with i + rotaryDim/2, by position·θ^(-2i/rotaryDim). */
function rotateHalves(c: ReferenceConfig, x: Vec, heads: number, position: number): void {
  const half = c.rotaryDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      const angle = position * Math.pow(c.ropeTheta, (-2 * i) / c.rotaryDim);
      const a = h * c.headDim + i;
      const [x0, x1] = [x[a]!, x[a + half]!];
      x[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
      x[a + half] = x1 * Math.cos(angle) + x0 * Math.sin(angle);
    }
  }
}

const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);

/** Logits [position][vocab] for a whole token sequence (positions 0..n-1), position by position, no cache. */
export function referenceForward(
  model: ReferenceTransformer,
  tokens: readonly number[],
  hook: ReferenceHook = () => {},
): Float64Array[] {
  const c = model.config;
  const at = (site: ActivationSite["site"], layer: number) => (x: Vec, position: number) => {
    hook({ site, layer }, position, x);
    return x;
  };
  const group = c.nHeads / c.nKvHeads;
  const d = c.dModel;
  let resid: Vec[] = tokens.map((t, p) => {
    const x = Float64Array.from(model.embed.subarray(t * d, (t + 1) * d));
    if (model.positions) for (let i = 0; i < d; i++) x[i]! += model.positions[p * d + i]!;
    return at("resid", 0)(x, p);
  });

  model.layers.forEach((layer, l) => {
    const normed = resid.map((x) => normalize(c, layer.ln1, x));
    const q = normed.map((x, p) => {
      const y = at("q", l)(dense(layer.q, x), p);
      rotateHalves(c, y, c.nHeads, p);
      return y;
    });
    const k = normed.map((x, p) => {
      const y = at("k", l)(dense(layer.k, x), p);
      rotateHalves(c, y, c.nKvHeads, p);
      return y;
    });
    const v = normed.map((x, p) => at("v", l)(dense(layer.v, x), p));

    const attended = q.map((query, p) => {
      const z = new Float64Array(c.nHeads * c.headDim);
      for (let h = 0; h < c.nHeads; h++) {
        const kvHead = Math.floor(h / group);
        const scores: number[] = [];
        for (let t = 0; t <= p; t++) {
          let dot = 0;
          for (let i = 0; i < c.headDim; i++) dot += query[h * c.headDim + i]! * k[t]![kvHead * c.headDim + i]!;
          scores.push(dot / Math.sqrt(c.headDim));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let t = 0; t <= p; t++) {
          for (let i = 0; i < c.headDim; i++)
            z[h * c.headDim + i]! += (exps[t]! / total) * v[t]![kvHead * c.headDim + i]!;
        }
      }
      return at("attn_out", l)(dense(layer.o, at("z", l)(z, p)), p);
    });

    const mlp = (x: Vec, p: number): Vec => {
      const h = normalize(c, layer.ln2, x);
      const up = dense(layer.up, h);
      const gate = layer.gate ? dense(layer.gate, h) : undefined;
      const hidden = at("mlp_hidden", l)(
        up.map((u, i) => (gate ? activate(c, gate[i]!) * u : activate(c, u))),
        p,
      );
      return at("mlp_out", l)(dense(layer.down, hidden), p);
    };
    resid = resid.map((x, p) => {
      const next = c.parallel
        ? add(add(x, attended[p]!), mlp(x, p))
        : ((mid) => add(mid, mlp(mid, p)))(at("resid_mid", l)(add(x, attended[p]!), p));
      return at("resid", l + 1)(next, p);
    });
  });
  return resid.map((x) => dense({ w: model.unembed }, normalize(c, model.finalNorm, x)));
}

/** HF's q/k row order from a llama GGUF's: GGUF row 2i + j of a head is HF row i + (headDim/2)·j. */
export function pairsToHalvesRows(w: Float32Array, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let row = 0; row < w.length / cols; row++) {
    const [head, within] = [Math.floor(row / headDim), row % headDim];
    const target = head * headDim + Math.floor(within / 2) + half * (within % 2);
    out.set(w.subarray(row * cols, (row + 1) * cols), target * cols);
  }
  return out;
}

const asReference = new WeakMap<LlamaModel, ReferenceTransformer>();

/** A llama GGUF's weights in the canonical form: q/k rows back in HF's order, so hooks see q and k as sites do. */
function referenceOfLlama(model: LlamaModel): ReferenceTransformer {
  const { config: c, weights: w } = model;
  const toHalves = (matrix: Float32Array) => pairsToHalvesRows(matrix, c.headDim, c.dModel);
  return {
    config: {
      nLayers: c.nLayers,
      dModel: c.dModel,
      nHeads: c.nHeads,
      nKvHeads: c.nKvHeads,
      headDim: c.headDim,
      dFF: c.dFF,
      vocabSize: c.vocabSize,
      norm: "rmsnorm",
      normEps: c.rmsEps,
      rotaryDim: c.headDim,
      ropeTheta: c.ropeTheta,
      activation: "silu",
      gated: true,
      parallel: false,
    },
    embed: w.tokenEmbedding,
    layers: w.layers.map((layer) => ({
      ln1: { w: layer.attnNorm },
      q: { w: toHalves(layer.wq) },
      k: { w: toHalves(layer.wk) },
      v: { w: layer.wv },
      o: { w: layer.wo },
      ln2: { w: layer.ffnNorm },
      gate: { w: layer.wGate },
      up: { w: layer.wUp },
      down: { w: layer.wDown },
    })),
    finalNorm: { w: w.outputNorm },
    unembed: w.output,
  };
}

/** Logits [position][vocab] of a llama GGUF's weights for a whole token sequence. */
export function referenceLogits(
  model: LlamaModel,
  tokens: readonly number[],
  hook: ReferenceHook = () => {},
): Float64Array[] {
  let reference = asReference.get(model);
  if (!reference) asReference.set(model, (reference = referenceOfLlama(model)));
  return referenceForward(reference, tokens, hook);
}
