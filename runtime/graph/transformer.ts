// Builds the ONNX graph of a decoder-only transformer from its config and weights: one graph serves prefill and
// decode steps, for every supported architecture; the config's flags choose the blocks.
//
// Inputs:  input_ids [B,S] int32, position_ids [B,S] int32, attention_bias [B,1,S,P+S] float
//          (0 where a query may attend to a key, a large negative number elsewhere),
//          past_key.L / past_value.L [B,Hkv,P,Dh] (the cache's buffers, P ≥ the positions cached), and for
//          every slotted site slot_a.SITE / slot_b.SITE.
// Outputs: logits [B,S,V], new_keys.L / new_values.L [B,S,Hkv·Dh] (the run's positions, which the runtime writes
//          into the cache), and capture.SITE per captured site.
//
// Interventions are position-wise affine maps x → a·x + b inserted at named sites; a run feeds a = 1, b = 0
// on rows nobody touches. Captures return a site's value after its slot. A site hooked by a TypeScript
// function splits the graph there (see graph-runner.ts).

import type { LayerWeights, ModelConfig, TransformerWeights } from "../architectures/config.js";
import { ElemType, GraphBuilder, type Dim, type GraphSegment } from "../onnx/graph-builder.js";
import { siteShape } from "../../compiler/model-check.js";
import { siteId, type ActivationSite } from "../sites.js";
import { Blocks } from "./blocks.js";

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
/** The keys and values of a run's new positions, [B,S,Hkv·Dh], which the runtime writes into the cache. */
export const newKeysName = (layer: number) => `new_keys.${layer}`;
export const newValuesName = (layer: number) => `new_values.${layer}`;

/** A large negative bias rather than -Infinity: rows of padding that attend to nothing stay finite (no NaN). */
export const MASKED_BIAS = -1e9;

/** The graph as segments: one, or one more than there are hooked sites. */
export function buildTransformerGraph(
  config: ModelConfig,
  weights: TransformerWeights,
  sites: GraphSites = NO_SITES,
): GraphSegment[] {
  const { dModel, nHeads, nKvHeads, headDim, vocabSize, nLayers } = config;
  const g = new GraphBuilder();
  const slotted = new Set(sites.slots.map(siteId));
  const captured = new Set(sites.captures.map(siteId));
  const hooked = new Set((sites.hooks ?? []).map(siteId));

  // Token and position ids come as int32, which the caller fills without a BigInt per value; rotary wants int64.
  const inputIds = g.input("input_ids", ElemType.Int32, ["batch", "seq"]);
  const positionIds32 = g.input("position_ids", ElemType.Int32, ["batch", "seq"]);
  const positionIds = g.op("Cast", [positionIds32], { to: ElemType.Int64 });
  const attentionBias = g.input("attention_bias", ElemType.Float, ["batch", 1, "seq", "past_and_seq"]);
  const b = new Blocks(g, config);

  const symbolicShape = (site: ActivationSite): Dim[] => ["batch", "seq", ...siteShape(site.site, config)];
  /** Applies the site's slot, then its TypeScript hook, and exposes the result as a capture, as requested. */
  const throughSite = (site: ActivationSite, x: string): string => {
    const id = siteId(site);
    let out = x;
    if (slotted.has(id)) {
      const names = slotInputNames(site);
      const dims = symbolicShape(site);
      const a = g.input(names.a, ElemType.Float, dims);
      const bias = g.input(names.b, ElemType.Float, dims);
      out = g.op("Add", [g.op("Mul", [x, a]), bias]);
    }
    if (hooked.has(id)) out = g.cut(out, hookInputName(site));
    if (captured.has(id)) g.output(captureOutputName(site), out, ElemType.Float, symbolicShape(site));
    return out;
  };

  const kvWidth = nKvHeads * headDim;

  const usesSite = (site: ActivationSite) => [slotted, captured, hooked].some((ids) => ids.has(siteId(site)));
  /**
   * Whether layer l's queries and keys keep a GGUF file's adjacent-pair order and rotate as pairs: attention scores
   * do not depend on the order of a head's dimensions, as long as queries and keys share it, so only a layer whose
   * q or k site something reads pays for reordering them into HF's halves (a Gather each, per step).
   */
  const keepsPairs = (l: number) =>
    config.ropeLayout === "adjacent-pairs" &&
    config.rotaryDim === headDim &&
    !usesSite({ site: "q", layer: l }) &&
    !usesSite({ site: "k", layer: l });

  /**
   * Queries, keys and values of one layer as heads [B,S,H,Dh], in HF's dimension order but where keepsPairs. Each
   * comes as a function that adds its last nodes when called, so that a hooked site's value is computed right
   * before its cut.
   */
  const projectQkv = (x: string, w: LayerWeights, l: number): [() => string, () => string, () => string] => {
    const hint = `blk${l}`;
    if (w.qkv.kind === "separate") {
      const { q, k, v } = w.qkv;
      const reorder = config.ropeLayout === "adjacent-pairs" && !keepsPairs(l);
      const toHalves = (y: string) => (reorder ? b.pairsToHalves(y) : y);
      return [
        () => toHalves(b.heads(b.linear(x, q, `${hint}_q`), nHeads)),
        () => toHalves(b.heads(b.linear(x, k, `${hint}_k`), nKvHeads)),
        () => b.heads(b.linear(x, v, `${hint}_v`), nKvHeads),
      ];
    }
    const fused = b.linear(x, w.qkv.qkv, `${hint}_qkv`);
    if (w.qkv.order === "blocks") {
      const [q, k, v] = g.opMulti("Split", [fused, g.int64([nHeads * headDim, kvWidth, kvWidth])], 3, { axis: -1 });
      return [() => b.heads(q!, nHeads), () => b.heads(k!, nKvHeads), () => b.heads(v!, nKvHeads)];
    }
    // Per head [q, k, v]: [B,S,H·3·Dh] → [B,S,H,3,Dh], split along the 3.
    const perHead = g.op("Reshape", [fused, g.int64([0, 0, nHeads, 3, headDim])]);
    const parts = g.opMulti("Split", [perHead, g.int64([1, 1, 1])], 3, { axis: 3 });
    const squeeze = (y: string) => () => g.op("Squeeze", [y, g.int64([3])]);
    return [squeeze(parts[0]!), squeeze(parts[1]!), squeeze(parts[2]!)];
  };

  const tokenEmbedding = g.weight("token_embd", weights.tokenEmbedding, [vocabSize, dModel]);
  let embeddings = g.op("Gather", [tokenEmbedding, inputIds], { axis: 0 });
  if (weights.positionEmbedding) {
    const table = g.weight("position_embd", weights.positionEmbedding, [config.contextLength, dModel]);
    embeddings = g.op("Add", [embeddings, g.op("Gather", [table, positionIds], { axis: 0 })]);
  }
  let resid = throughSite({ site: "resid", layer: 0 }, embeddings);

  for (let l = 0; l < nLayers; l++) {
    const w = weights.layers[l]!;
    const at = (site: ActivationSite["site"]): ActivationSite => ({ site, layer: l });
    const [rawQ, rawK, rawV] = projectQkv(b.norm(resid, w.attnNorm, `blk${l}_attn_norm`), w, l);
    const q = throughSite(at("q"), rawQ());
    const k = throughSite(at("k"), rawK());
    const v = throughSite(at("v"), rawV());

    const cacheDims = ["batch", nKvHeads, "past", headDim];
    const {
      z: attended,
      newKeys,
      newValues,
    } = b.attention(q, k, v, {
      pastKey: g.input(pastKeyName(l), ElemType.Float, cacheDims),
      pastValue: g.input(pastValueName(l), ElemType.Float, cacheDims),
      attentionBias,
      positionIds,
      adjacentPairs: keepsPairs(l),
    });
    const newDims = ["batch", "seq", nKvHeads * headDim];
    g.output(newKeysName(l), newKeys, ElemType.Float, newDims);
    g.output(newValuesName(l), newValues, ElemType.Float, newDims);

    const z = throughSite(at("z"), attended);
    const attnOut = throughSite(
      at("attn_out"),
      b.linear(g.op("Reshape", [z, g.int64([0, 0, nHeads * headDim])]), w.attnOut, `blk${l}_o`),
    );
    // Sequential blocks feed the MLP the stream after attention; parallel ones feed both the same stream.
    const mlpInput = config.parallelResidual ? resid : throughSite(at("resid_mid"), g.op("Add", [resid, attnOut]));
    const normed = b.norm(mlpInput, w.mlpNorm, `blk${l}_ffn_norm`);
    const up = b.linear(normed, w.up, `blk${l}_up`);
    const hidden = throughSite(
      at("mlp_hidden"),
      w.gate ? g.op("Mul", [b.activation(b.linear(normed, w.gate, `blk${l}_gate`)), up]) : b.activation(up),
    );
    const mlpOut = throughSite(at("mlp_out"), b.linear(hidden, w.down, `blk${l}_down`));
    const next = config.parallelResidual
      ? g.op("Add", [g.op("Add", [resid, attnOut]), mlpOut])
      : g.op("Add", [mlpInput, mlpOut]);
    resid = throughSite({ site: "resid", layer: l + 1 }, next);
  }

  const logits = b.linear(b.norm(resid, weights.finalNorm, "output_norm"), weights.unembed, "output");
  g.output("logits", logits, ElemType.Float, ["batch", "seq", vocabSize]);
  return g.toSegments(config.architecture);
}
