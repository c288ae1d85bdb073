// The blocks every architecture's graph is made of (as llama.cpp's build_norm, build_attn, build_ffn): dense
// layers, norms, rotary embeddings, attention with a KV cache, and MLPs, each a few ONNX operators.

import type { Activation, Linear, ModelConfig, Norm } from "../architectures/config.js";
import { CONTRIB_DOMAIN, ElemType, type GraphBuilder } from "../onnx/graph-builder.js";

export class Blocks {
  /** [batch, seq] of the running graph, for shapes that keep them. */
  private readonly batchSeq: string;
  private lengths: [string, string] | undefined;

  constructor(
    readonly g: GraphBuilder,
    readonly config: ModelConfig,
    inputIds: string,
  ) {
    this.batchSeq = g.op("Shape", [inputIds]);
  }

  /**
   * y = x·W (+ b) over [B,S,in]. A matrix stored [out][in] goes to Gemm with transB, so no copy of it is ever
   * transposed; Gemm wants 2-D input, hence the reshapes around it (which copy nothing).
   */
  linear(x: string, layer: Linear, hint: string): string {
    const { g } = this;
    if (layer.layout === "in-out") {
      const product = g.op("MatMul", [x, g.weight(hint, layer.weight, [layer.inDim, layer.outDim])]);
      return layer.bias ? g.op("Add", [product, g.weight(`${hint}_bias`, layer.bias, [layer.outDim])]) : product;
    }
    const rows = g.op("Reshape", [x, g.int64([-1, layer.inDim])]);
    const inputs = [rows, g.weight(hint, layer.weight, [layer.outDim, layer.inDim])];
    if (layer.bias) inputs.push(g.weight(`${hint}_bias`, layer.bias, [layer.outDim]));
    const product = g.op("Gemm", inputs, { transB: 1 });
    return g.op("Reshape", [product, g.op("Concat", [this.batchSeq, g.int64([layer.outDim])], { axis: 0 })]);
  }

  norm(x: string, norm: Norm, hint: string): string {
    const { g, config } = this;
    const weight = g.weight(hint, norm.weight, [config.dModel]);
    if (config.norm === "layernorm") {
      const bias = norm.bias ? [g.weight(`${hint}_bias`, norm.bias, [config.dModel])] : [];
      return g.op("LayerNormalization", [x, weight, ...bias], { axis: -1, epsilon: { float: config.normEps } });
    }
    const meanSquare = g.op("ReduceMean", [g.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
    const inverseRms = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [meanSquare, g.scalar(config.normEps)])])]);
    return g.op("Mul", [g.op("Mul", [x, inverseRms]), weight]);
  }

  activation(x: string, kind: Activation = this.config.activation): string {
    const { g } = this;
    switch (kind) {
      case "silu":
        return g.op("Mul", [x, g.op("Sigmoid", [x])]);
      case "gelu":
        // 0.5·x·(1 + erf(x/√2)); onnxruntime fuses the pattern into one Gelu kernel.
        return g.op("Mul", [
          g.op("Mul", [x, g.scalar(0.5)]),
          g.op("Add", [g.op("Erf", [g.op("Mul", [x, g.scalar(Math.SQRT1_2)])]), g.scalar(1)]),
        ]);
      case "gelu_new": {
        // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        const cubic = g.op("Mul", [g.op("Mul", [g.op("Mul", [x, x]), x]), g.scalar(0.044715)]);
        const inner = g.op("Mul", [g.op("Add", [x, cubic]), g.scalar(Math.sqrt(2 / Math.PI))]);
        return g.op("Mul", [g.op("Mul", [x, g.scalar(0.5)]), g.op("Add", [g.op("Tanh", [inner]), g.scalar(1)])]);
      }
    }
  }

  /** [B,S,H·Dh] → [B,S,H,Dh] */
  heads(x: string, count: number): string {
    return this.g.op("Reshape", [x, this.g.int64([0, 0, count, this.config.headDim])]);
  }

  /**
   * Reorders each head's dimensions from GGUF's adjacent pairs to HF's halves: HF dimension i + Dh/2·j is GGUF
   * dimension 2i + j. x: [B,S,H,Dh].
   */
  pairsToHalves(x: string): string {
    const half = this.config.headDim / 2;
    const order = [
      ...Array.from({ length: half }, (_, i) => 2 * i),
      ...Array.from({ length: half }, (_, i) => 2 * i + 1),
    ];
    return this.g.op("Gather", [x, this.g.int64(order)], { axis: 3 });
  }

  /**
   * Rotary embedding in rotate-half order on the first rotaryDim dimensions of each head, for these positions.
   * Returns the function that applies it to a [B,S,H,Dh] value; the cos/sin tables are shared by every layer.
   */
  rotary(positionIds: string): (x: string) => string {
    const { g, config } = this;
    const { rotaryDim, headDim, ropeTheta } = config;
    const half = rotaryDim / 2;
    const inverseFrequencies = Float32Array.from({ length: half }, (_, i) => Math.pow(ropeTheta, (-2 * i) / rotaryDim));
    const angles = g.op("Mul", [
      g.op("Unsqueeze", [g.op("Cast", [positionIds], { to: ElemType.Float }), g.int64([-1])]),
      g.weight("rope_inv_freq", inverseFrequencies, [half]),
    ]);
    // [B,S,1,half]: one row per position, broadcast over heads.
    const cos = g.op("Unsqueeze", [g.op("Cos", [angles]), g.int64([2])]);
    const sin = g.op("Unsqueeze", [g.op("Sin", [angles]), g.int64([2])]);
    return (x) => {
      const [rotated, passed] =
        rotaryDim === headDim
          ? [x, undefined]
          : g.opMulti("Split", [x, g.int64([rotaryDim, headDim - rotaryDim])], 2, { axis: -1 });
      const [x1, x2] = g.opMulti("Split", [rotated!, g.int64([half, half])], 2, { axis: -1 });
      const out1 = g.op("Sub", [g.op("Mul", [x1!, cos]), g.op("Mul", [x2!, sin])]);
      const out2 = g.op("Add", [g.op("Mul", [x2!, cos]), g.op("Mul", [x1!, sin])]);
      return g.op("Concat", passed ? [out1, out2, passed] : [out1, out2], { axis: -1 });
    };
  }

  /**
   * Causal attention of queries [B,S,H,Dh] over the cache and the new keys/values [B,S,Hkv,Dh], as onnxruntime's
   * GroupQueryAttention computes it: head h reads key/value head floor(h / G), without copying keys per group.
   * The cache (past, [B,Hkv,capacity,Dh]) and the present are one buffer, sized for the whole generation: the
   * operator writes the new keys and values into it in place, so no step copies the cache (a Concat of past and
   * new would copy all of it at every token). The bias [B,1,S,T] masks left padding; T = cached + S.
   * Returns z [B,S,H,Dh] and the present keys/values.
   */
  attention(
    queries: string,
    keys: string,
    values: string,
    cache: { pastKey: string; pastValue: string; attentionBias: string },
  ): { z: string; presentKey: string; presentValue: string } {
    const { g, config } = this;
    const { nHeads, nKvHeads, headDim } = config;
    const flat = (x: string, count: number) => g.op("Reshape", [x, g.int64([0, 0, count * headDim])]);
    const [total, lastIndex] = this.cacheLengths(cache.attentionBias);
    const [z, presentKey, presentValue] = g.opMulti(
      "GroupQueryAttention",
      [
        flat(queries, nHeads),
        flat(keys, nKvHeads),
        flat(values, nKvHeads),
        cache.pastKey,
        cache.pastValue,
        lastIndex,
        total,
        // No rotary inside the operator (keys arrive rotated, so that the k site sees them as HF does), no
        // position ids; then the bias.
        "",
        "",
        "",
        cache.attentionBias,
      ],
      3,
      { num_heads: nHeads, kv_num_heads: nKvHeads, scale: { float: 1 / Math.sqrt(headDim) } },
      undefined,
      CONTRIB_DOMAIN,
    );
    return { z: this.heads(z!, nHeads), presentKey: presentKey!, presentValue: presentValue! };
  }

  /**
   * GroupQueryAttention's lengths, from the bias's shape: the total sequence length T (an int32 scalar), and per
   * row the index of its last position, T - 1 (left padding gives every row the same length). Made once.
   */
  private cacheLengths(attentionBias: string): [string, string] {
    if (this.lengths) return this.lengths;
    const { g } = this;
    const shape = g.op("Shape", [attentionBias]);
    const total = g.op("Gather", [shape, g.int64([3])], { axis: 0 });
    const perRow = g.op("Expand", [g.op("Sub", [total, g.int64([1])]), g.op("Gather", [shape, g.int64([0])])]);
    const int32 = (x: string) => g.op("Cast", [x], { to: ElemType.Int32 });
    this.lengths = [int32(g.op("Squeeze", [total, g.int64([0])])), int32(perRow)];
    return this.lengths;
  }
}
