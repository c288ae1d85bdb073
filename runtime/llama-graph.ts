// Builds the ONNX graph of a llama model from its weights: one graph serves prefill and decode steps.
//
// Inputs:  input_ids [B,S] int64, position_ids [B,S] int64, attention_bias [B,1,1,S,T] float
//          (0 where a query may attend to a key, a large negative number elsewhere; T = past + S),
//          past_key.L / past_value.L [B,Hkv,P,Dh], and for every slotted site slot_a.SITE / slot_b.SITE.
// Outputs: logits [B,S,V], present_key.L / present_value.L [B,Hkv,T,Dh], and capture.SITE per captured site.
//
// Interventions are position-wise affine maps x → a·x + b inserted at named sites; a run feeds a = 1, b = 0
// on rows nobody touches. Captures return a site's value after its slot. A site hooked by a TypeScript
// function splits the graph there (see graph-runner.ts).

import { ElemType, GraphBuilder, type Dim, type GraphSegment } from "./onnx/graph-builder.js";
import type { LlamaModel } from "./llama.js";
import { siteId, siteShape, type ActivationSite } from "./sites.js";

export interface GraphSites {
  /** Sites that get an affine slot. */
  slots: readonly ActivationSite[];
  /** Sites returned as extra outputs. */
  captures: readonly ActivationSite[];
  /** Sites where the graph is split so that a TypeScript function can transform the activation. */
  hooks?: readonly ActivationSite[];
}

export const NO_SITES: GraphSites = { slots: [], captures: [] };

export const slotInputNames = (site: ActivationSite) => ({ a: `slot_a.${siteId(site)}`, b: `slot_b.${siteId(site)}` });
export const captureOutputName = (site: ActivationSite) => `capture.${siteId(site)}`;
export const hookInputName = (site: ActivationSite) => `hook.${siteId(site)}`;
export const pastKeyName = (layer: number) => `past_key.${layer}`;
export const pastValueName = (layer: number) => `past_value.${layer}`;
export const presentKeyName = (layer: number) => `present_key.${layer}`;
export const presentValueName = (layer: number) => `present_value.${layer}`;

/** A large negative bias rather than -Infinity: rows of padding that attend to nothing stay finite (no NaN). */
export const MASKED_BIAS = -1e9;

/** Transposes a row-major [rows][cols] matrix, so that ONNX MatMul computes x·Wᵀ. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** The graph as segments: one, or one more than there are hooked sites. */
export function buildLlamaGraph(model: LlamaModel, sites: GraphSites = NO_SITES): GraphSegment[] {
  const { config, weights } = model;
  const { dModel, nHeads, nKvHeads, headDim, dFF, vocabSize, nLayers } = config;
  const group = nHeads / nKvHeads;
  const g = new GraphBuilder();
  const slotted = new Set(sites.slots.map(siteId));
  const captured = new Set(sites.captures.map(siteId));
  const hooked = new Set((sites.hooks ?? []).map(siteId));

  const inputIds = g.input("input_ids", ElemType.Int64, ["batch", "seq"]);
  const positionIds = g.input("position_ids", ElemType.Int64, ["batch", "seq"]);
  const attentionBias = g.input("attention_bias", ElemType.Float, ["batch", 1, 1, "seq", "total"]);

  const symbolicShape = (site: ActivationSite): Dim[] => ["batch", "seq", ...siteShape(site, config)];
  /** Applies the site's slot, then its TypeScript hook, and exposes the result as a capture, as requested. */
  const hook = (site: ActivationSite, x: string): string => {
    const id = siteId(site);
    let out = x;
    if (slotted.has(id)) {
      const names = slotInputNames(site);
      const dims = symbolicShape(site);
      const a = g.input(names.a, ElemType.Float, dims);
      const b = g.input(names.b, ElemType.Float, dims);
      out = g.op("Add", [g.op("Mul", [x, a]), b]);
    }
    if (hooked.has(id)) out = g.cut(out, hookInputName(site));
    if (captured.has(id)) g.output(captureOutputName(site), out, ElemType.Float, symbolicShape(site));
    return out;
  };

  const linear = (x: string, w: Float32Array, inDim: number, outDim: number, hint: string) =>
    g.op("MatMul", [x, g.weight(hint, transpose(w, outDim, inDim), [inDim, outDim])]);

  const rmsNorm = (x: string, w: Float32Array, hint: string) => {
    const meanSquare = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
    const inverseRms = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [meanSquare, g.scalar(config.rmsEps)])])]);
    return g.op("Mul", [g.op("Mul", [x, inverseRms]), g.weight(hint, w, [dModel])]);
  };

  // Rotary tables for these positions: cos/sin [B,S,1,Dh/2,1], shared by every layer.
  const half = headDim / 2;
  const inverseFrequencies = Float32Array.from({ length: half }, (_, i) =>
    Math.pow(config.ropeTheta, (-2 * i) / headDim),
  );
  const angles = g.op("Mul", [
    g.op("Unsqueeze", [g.op("Cast", [positionIds], { to: ElemType.Float }), g.int64([-1])]),
    g.weight("rope_inv_freq", inverseFrequencies, [half]),
  ]);
  const ropeCos = g.op("Unsqueeze", [g.op("Cos", [angles]), g.int64([2, 4])]);
  const ropeSin = g.op("Unsqueeze", [g.op("Sin", [angles]), g.int64([2, 4])]);
  /** Rotates adjacent pairs (x[2i], x[2i+1]) of each head, as GGUF's llama q/k layout expects. x: [B,S,H,Dh]. */
  const rope = (x: string) => {
    const pairs = g.op("Reshape", [x, g.int64([0, 0, 0, half, 2])]);
    const [even, odd] = g.opMulti("Split", [pairs, g.int64([1, 1])], 2, { axis: -1 });
    const rotatedEven = g.op("Sub", [g.op("Mul", [even!, ropeCos]), g.op("Mul", [odd!, ropeSin])]);
    const rotatedOdd = g.op("Add", [g.op("Mul", [even!, ropeSin]), g.op("Mul", [odd!, ropeCos])]);
    return g.op("Reshape", [g.op("Concat", [rotatedEven, rotatedOdd], { axis: -1 }), g.int64([0, 0, 0, headDim])]);
  };

  const embeddings = g.op("Gather", [g.weight("token_embd", weights.tokenEmbedding, [vocabSize, dModel]), inputIds], {
    axis: 0,
  });
  let resid = hook({ site: "resid", layer: 0 }, embeddings);

  for (let l = 0; l < nLayers; l++) {
    const w = weights.layers[l]!;
    const at = (site: ActivationSite["site"]): ActivationSite => ({ site, layer: l });
    const normed = rmsNorm(resid, w.attnNorm, `blk${l}_attn_norm`);
    const heads = (x: string, count: number) => g.op("Reshape", [x, g.int64([0, 0, count, headDim])]);
    const q = hook(at("q"), heads(linear(normed, w.wq, dModel, dModel, `blk${l}_q`), nHeads));
    const k = hook(at("k"), heads(linear(normed, w.wk, dModel, nKvHeads * headDim, `blk${l}_k`), nKvHeads));
    const v = hook(at("v"), heads(linear(normed, w.wv, dModel, nKvHeads * headDim, `blk${l}_v`), nKvHeads));

    // Cache keys after rotation, so a cached key never needs its position again. [B,Hkv,T,Dh]
    const toCacheLayout = (x: string) => g.op("Transpose", [x], { perm: [0, 2, 1, 3] });
    const pastKey = g.input(pastKeyName(l), ElemType.Float, ["batch", nKvHeads, "past", headDim]);
    const pastValue = g.input(pastValueName(l), ElemType.Float, ["batch", nKvHeads, "past", headDim]);
    const keys = g.op("Concat", [pastKey, toCacheLayout(rope(k))], { axis: 2 });
    const values = g.op("Concat", [pastValue, toCacheLayout(v)], { axis: 2 });
    g.output(presentKeyName(l), keys, ElemType.Float, ["batch", nKvHeads, "total", headDim]);
    g.output(presentValueName(l), values, ElemType.Float, ["batch", nKvHeads, "total", headDim]);

    // Grouped-query attention without copying keys: queries [B,Hkv,G,S,Dh] against keys [B,Hkv,1,T,Dh].
    const groupedQueries = g.op("Transpose", [g.op("Reshape", [rope(q), g.int64([0, 0, nKvHeads, group, headDim])])], {
      perm: [0, 2, 3, 1, 4],
    });
    const keysT = g.op("Unsqueeze", [g.op("Transpose", [keys], { perm: [0, 1, 3, 2] }), g.int64([2])]);
    const scores = g.op("Add", [
      g.op("Mul", [g.op("MatMul", [groupedQueries, keysT]), g.scalar(1 / Math.sqrt(headDim))]),
      attentionBias,
    ]);
    const mixed = g.op("MatMul", [g.op("Softmax", [scores], { axis: -1 }), g.op("Unsqueeze", [values, g.int64([2])])]);
    // [B,Hkv,G,S,Dh] → [B,S,Hkv,G,Dh] → [B,S,H,Dh]: head h uses key/value head floor(h / G), as in llama.
    const z = hook(
      at("z"),
      g.op("Reshape", [g.op("Transpose", [mixed], { perm: [0, 3, 1, 2, 4] }), g.int64([0, 0, nHeads, headDim])]),
    );
    const attnOut = hook(
      at("attn_out"),
      linear(g.op("Reshape", [z, g.int64([0, 0, dModel])]), w.wo, dModel, dModel, `blk${l}_o`),
    );
    const residMid = hook(at("resid_mid"), g.op("Add", [resid, attnOut]));

    const ffnIn = rmsNorm(residMid, w.ffnNorm, `blk${l}_ffn_norm`);
    const gate = linear(ffnIn, w.wGate, dModel, dFF, `blk${l}_gate`);
    const up = linear(ffnIn, w.wUp, dModel, dFF, `blk${l}_up`);
    const hidden = hook(at("mlp_hidden"), g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up]));
    const mlpOut = hook(at("mlp_out"), linear(hidden, w.wDown, dFF, dModel, `blk${l}_down`));
    resid = hook({ site: "resid", layer: l + 1 }, g.op("Add", [residMid, mlpOut]));
  }

  const finalNormed = rmsNorm(resid, weights.outputNorm, "output_norm");
  const logits = linear(finalNormed, weights.output, dModel, vocabSize, "output");
  g.output("logits", logits, ElemType.Float, ["batch", "seq", vocabSize]);
  return g.toSegments("llama");
}
