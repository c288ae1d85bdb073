// The blocks every architecture's graph is made of (as llama.cpp's build_norm, build_attn, build_ffn): dense
// layers, norms, rotary embeddings, attention with a KV cache, and MLPs, each a few ONNX operators.

import type { Activation, BlockQuantized, Linear, ModelConfig, Norm } from "../architectures/config.js";
import { CONTRIB_DOMAIN, ElemType, type GraphBuilder } from "../onnx/graph-builder.js";

export class Blocks {
  private tables: AttentionTables | undefined;

  constructor(
    readonly g: GraphBuilder,
    readonly config: ModelConfig,
  ) {}

  /**
   * y = x·W (+ b) over [B,S,in]. A matrix stored [out][in] goes to FusedMatMul with transB, which reads it as
   * stored: no copy of it is ever transposed, and no reshapes are needed around it (each node costs a decode step
   * a few microseconds, whatever its size).
   */
  linear(x: string, layer: Linear, hint: string): string {
    const { g } = this;
    const { weight, inDim, outDim } = layer;
    let product: string;
    if ("kind" in weight) product = this.blockQuantizedProduct(x, weight, inDim, outDim, hint);
    else if (layer.layout === "in-out") product = g.op("MatMul", [x, g.weight(hint, weight, [inDim, outDim])]);
    else product = g.contribOp("FusedMatMul", [x, g.weight(hint, weight, [outDim, inDim])], { transB: 1 });
    return layer.bias ? g.op("Add", [product, g.weight(`${hint}_bias`, layer.bias, [outDim])]) : product;
  }

  /**
   * x·Wᵀ with W [out][in] kept in its blocks: MatMulNBits reads them inside the product, so the weights stay as
   * small in memory as in the file, and each token reads that much less.
   */
  private blockQuantizedProduct(x: string, weight: BlockQuantized, inDim: number, outDim: number, hint: string) {
    const { g } = this;
    const { bits, blockSize, accuracyLevel } = weight;
    const blocksPerRow = inDim / blockSize;
    const codes = g.weight(
      `${hint}_codes`,
      weight.codes,
      [outDim, blocksPerRow, (blockSize * bits) / 8],
      ElemType.Uint8,
    );
    const scales = g.weight(`${hint}_scales`, weight.scales, [outDim * blocksPerRow]);
    const product = g.contribOp("MatMulNBits", [x, codes, scales], {
      K: inDim,
      N: outDim,
      bits,
      block_size: blockSize,
      accuracy_level: accuracyLevel,
    });
    if (!weight.offsets) return product;
    // Σ_k x_k·offset[n, block(k)] = Σ_blocks (Σ_{k in block} x_k)·offset[n, block]: x's block sums times the
    // offsets, a matrix a 32nd of W's size.
    const byBlock = g.op("Reshape", [x, g.int64([0, 0, blocksPerRow, blockSize])]);
    const blockSums = g.op("ReduceSum", [byBlock, g.int64([-1])], { keepdims: 0 });
    const offsets = g.weight(`${hint}_offsets`, weight.offsets, [outDim, blocksPerRow]);
    return g.op("Add", [product, g.contribOp("FusedMatMul", [blockSums, offsets], { transB: 1 })]);
  }

  norm(x: string, norm: Norm, hint: string): string {
    const { g, config } = this;
    const weight = g.weight(hint, norm.weight, [config.dModel]);
    if (config.norm === "layernorm") {
      const bias = norm.bias ? [g.weight(`${hint}_bias`, norm.bias, [config.dModel])] : [];
      return g.op("LayerNormalization", [x, weight, ...bias], { axis: -1, epsilon: { float: config.normEps } });
    }
    // x / √(mean(x²) + ε) · w in one kernel (onnxruntime's, registered in the standard domain).
    return g.op("SimplifiedLayerNormalization", [x, weight], { axis: -1, epsilon: { float: config.normEps } });
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
   * Causal attention of queries [B,S,H,Dh] over the cache and the new keys/values [B,S,Hkv,Dh], as onnxruntime's
   * GroupQueryAttention computes it: head h reads key/value head floor(h / G), without copying keys per group.
   * With rotary positions, queries and keys are rotated here (in halves or in adjacent pairs, the first rotaryDim
   * dimensions of each head, at `positionIds`) by one RotaryEmbedding node each: so the q and k sites see them
   * unrotated, as HF's hooks do, and the cache holds keys rotated, which never need their position again.
   * The cache (past, [B,Hkv,capacity,Dh]) is an input only, read where it lies: the operator copies the cached
   * positions it attends to into a present buffer of its own, and the new keys and values come back as outputs
   * [B,S,Hkv·Dh] for the runtime to write into the cache. Binding the cache as the operator's present output would
   * save that copy, but onnxruntime-node copies every output back into a new JavaScript buffer after the run: the
   * whole cache at every step (0.5 ms per MB here, 20 ms per token for an 85M model at 530 positions).
   * The bias [B,1,S,T] masks left padding; T = cached + S.
   */
  attention(
    queries: string,
    keys: string,
    values: string,
    cache: {
      pastKey: string;
      pastValue: string;
      attentionBias: string;
      positionIds: string;
      /** Queries and keys in adjacent-pair order (GGUF's), rotated as pairs rather than halves. */
      adjacentPairs: boolean;
    },
  ): { z: string; newKeys: string; newValues: string } {
    const { g, config } = this;
    const { nHeads, nKvHeads, headDim } = config;
    const { total, lastIndex, rotary } = this.attentionTables(cache.attentionBias, cache.positionIds);
    const flat = (x: string, count: number) => g.op("Reshape", [x, g.int64([0, 0, count * headDim])]);
    const rotated = (x: string, count: number) =>
      rotary
        ? g.contribOp("RotaryEmbedding", [flat(x, count), rotary.positionIds, rotary.cos, rotary.sin], {
            interleaved: cache.adjacentPairs ? 1 : 0,
            num_heads: count,
            rotary_embedding_dim: config.rotaryDim,
          })
        : flat(x, count);
    const newKeys = rotated(keys, nKvHeads);
    const newValues = flat(values, nKvHeads);
    const [z] = g.opMulti(
      "GroupQueryAttention",
      [
        rotated(queries, nHeads),
        newKeys,
        newValues,
        cache.pastKey,
        cache.pastValue,
        lastIndex,
        total,
        // No rotary inside the operator (it rotates only heads of a multiple of 16 dimensions), so no tables and
        // no position ids; then the bias.
        "",
        "",
        "",
        cache.attentionBias,
      ],
      3,
      { num_heads: nHeads, kv_num_heads: nKvHeads, scale: { float: 1 / Math.sqrt(headDim) } },
      [g.fresh("attention"), g.fresh("present_key"), g.fresh("present_value")],
      CONTRIB_DOMAIN,
    );
    return { z: this.heads(z!, nHeads), newKeys, newValues };
  }

  /**
   * What every layer's attention shares, made once per run: the total sequence length T (an int32 scalar, from
   * the bias's shape); per row the index of its last position, T - 1 (left padding gives every row the same
   * length); and with rotary positions the cos/sin tables [B·S, rotaryDim/2] of this run's own position ids, which
   * RotaryEmbedding reads at rows 0…B·S-1. Tables over every position up to T would cost each step in proportion
   * to the sequence so far.
   */
  private attentionTables(attentionBias: string, positionIds: string): AttentionTables {
    if (this.tables) return this.tables;
    const { g, config } = this;
    const shape = g.op("Shape", [attentionBias]);
    const total = g.op("Squeeze", [g.op("Gather", [shape, g.int64([3])], { axis: 0 }), g.int64([0])]);
    const perRow = g.op("Expand", [g.op("Sub", [total, g.int64([1])]), g.op("Gather", [shape, g.int64([0])])]);
    const int32 = (x: string) => g.op("Cast", [x], { to: ElemType.Int32 });
    this.tables = { total: int32(total), lastIndex: int32(perRow) };
    if (config.positional === "rotary") {
      const { rotaryDim, ropeTheta } = config;
      const half = rotaryDim / 2;
      const inverseFrequencies = Float32Array.from({ length: half }, (_, i) =>
        Math.pow(ropeTheta, (-2 * i) / rotaryDim),
      );
      const positions = g.op("Reshape", [g.op("Cast", [positionIds], { to: ElemType.Float }), g.int64([-1, 1])]);
      const angles = g.op("Mul", [positions, g.weight("rope_inv_freq", inverseFrequencies, [half])]);
      const rows = g.op("Range", [g.int64([0]), g.op("Size", [positionIds]), g.int64([1])]);
      this.tables.rotary = {
        cos: g.op("Cos", [angles]),
        sin: g.op("Sin", [angles]),
        positionIds: g.op("Reshape", [rows, g.op("Shape", [positionIds])]),
      };
    }
    return this.tables;
  }
}

interface AttentionTables {
  total: string;
  lastIndex: string;
  /** Each position's row of the tables, [B,S]. */
  rotary?: { cos: string; sin: string; positionIds: string };
}
