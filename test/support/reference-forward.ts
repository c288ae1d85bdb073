// A slow, obviously correct llama forward pass: plain loops over Float64Arrays, no cache, no ONNX.
// Tests hold the ONNX runtime to it. It follows the textbook definition position by position, on weights as a
// llama GGUF stores them (q/k rows permuted for RoPE over adjacent pairs); hooks see q and k in HF's order
// (halves), as the runtime's sites give them.

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
  weights: { tokenEmbedding: Float32Array; layers: LlamaLayerWeights[]; outputNorm: Float32Array; output: Float32Array };
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

/**
 * Hooks a q or k vector in HF's order: GGUF dimension 2i + j of a head is HF dimension i + (headDim/2)·j.
 * Converts to HF order, calls the hook, and converts back.
 */
function inHalvesOrder(x: Float64Array, headDim: number, hook: (halves: Float64Array) => void): void {
  const half = headDim / 2;
  const halves = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += headDim) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) halves[base + i + half * j] = x[base + 2 * i + j]!;
    }
  }
  hook(halves);
  for (let base = 0; base < x.length; base += headDim) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) x[base + 2 * i + j] = halves[base + i + half * j]!;
    }
  }
}

/** Called with each site's activation at each position; may change it in place (an intervention). */
export type ReferenceHook = (site: ActivationSite, position: number, x: Float64Array) => void;

type Vec = Float64Array;

function matVec(w: Float32Array, x: Vec, outDim: number, inDim: number): Vec {
  const y = new Float64Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let sum = 0;
    for (let i = 0; i < inDim; i++) sum += w[o * inDim + i]! * x[i]!;
    y[o] = sum;
  }
  return y;
}

function rmsNorm(x: Vec, w: Float32Array, eps: number): Vec {
  let sumSquares = 0;
  for (const v of x) sumSquares += v * v;
  const scale = 1 / Math.sqrt(sumSquares / x.length + eps);
  return x.map((v, i) => v * scale * w[i]!);
}

/** Rotates adjacent pairs of every head in place, by angle position·theta^(-2i/headDim). */
function rope(x: Vec, heads: number, headDim: number, position: number, theta: number): void {
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < headDim / 2; i++) {
      const angle = position * Math.pow(theta, (-2 * i) / headDim);
      const a = h * headDim + 2 * i;
      const [x0, x1] = [x[a]!, x[a + 1]!];
      x[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
      x[a + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
    }
  }
}

const add = (a: Vec, b: Vec): Vec => a.map((v, i) => v + b[i]!);

/** Logits [position][vocab] for a whole token sequence (positions 0..n-1). */
export function referenceLogits(model: LlamaModel, tokens: readonly number[], hook: ReferenceHook = () => {}): Float64Array[] {
  const { config: c, weights: w } = model;
  const at = (site: ActivationSite["site"], layer: number) => (x: Vec, position: number) => {
    if (site === "q" || site === "k") inHalvesOrder(x, c.headDim, (halves) => hook({ site, layer }, position, halves));
    else hook({ site, layer }, position, x);
    return x;
  };
  const kvWidth = c.nKvHeads * c.headDim;
  const group = c.nHeads / c.nKvHeads;
  let resid: Vec[] = tokens.map((t, p) => at("resid", 0)(Float64Array.from(w.tokenEmbedding.subarray(t * c.dModel, (t + 1) * c.dModel)), p));

  w.layers.forEach((layer, l) => {
    const normed = resid.map((x) => rmsNorm(x, layer.attnNorm, c.rmsEps));
    const q = normed.map((x, p) => {
      const v = at("q", l)(matVec(layer.wq, x, c.dModel, c.dModel), p);
      rope(v, c.nHeads, c.headDim, p, c.ropeTheta);
      return v;
    });
    const k = normed.map((x, p) => {
      const v = at("k", l)(matVec(layer.wk, x, kvWidth, c.dModel), p);
      rope(v, c.nKvHeads, c.headDim, p, c.ropeTheta);
      return v;
    });
    const v = normed.map((x, p) => at("v", l)(matVec(layer.wv, x, kvWidth, c.dModel), p));

    const attended = q.map((query, p) => {
      const z = new Float64Array(c.dModel);
      for (let h = 0; h < c.nHeads; h++) {
        const kvHead = Math.floor(h / group);
        const scores: number[] = [];
        for (let t = 0; t <= p; t++) {
          let dot = 0;
          for (let d = 0; d < c.headDim; d++) dot += query[h * c.headDim + d]! * k[t]![kvHead * c.headDim + d]!;
          scores.push(dot / Math.sqrt(c.headDim));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let t = 0; t <= p; t++) {
          for (let d = 0; d < c.headDim; d++) z[h * c.headDim + d]! += (exps[t]! / total) * v[t]![kvHead * c.headDim + d]!;
        }
      }
      return at("attn_out", l)(matVec(layer.wo, at("z", l)(z, p), c.dModel, c.dModel), p);
    });
    const residMid = resid.map((x, p) => at("resid_mid", l)(add(x, attended[p]!), p));

    resid = residMid.map((x, p) => {
      const h = rmsNorm(x, layer.ffnNorm, c.rmsEps);
      const gate = matVec(layer.wGate, h, c.dFF, c.dModel);
      const up = matVec(layer.wUp, h, c.dFF, c.dModel);
      const hidden = at("mlp_hidden", l)(
        gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!),
        p,
      );
      return at("resid", l + 1)(add(x, at("mlp_out", l)(matVec(layer.wDown, hidden, c.dModel, c.dFF), p)), p);
    });
  });
  return resid.map((x) => matVec(w.output, rmsNorm(x, w.outputNorm, c.rmsEps), c.vocabSize, c.dModel));
}
