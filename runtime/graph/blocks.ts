// The blocks every architecture's graph is made of (as llama.cpp's build_norm, build_attn, build_ffn): dense
// layers, norms, rotary embeddings, attention with a KV cache, and MLPs, each a few ONNX operators.

import type { Activation, BlockQuantized, Linear, ModelConfig, Norm } from "../architectures/config.js";
import { ElemType, type GraphBuilder } from "../onnx/graph-builder.js";

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
   * Causal attention of queries [B,S,H,Dh] over the cache and the new keys/values [B,S,Hkv,Dh]; head h reads
   * key/value head floor(h / G) (G = H / Hkv), the G query heads of a group multiplied by their keys together.
   * With rotary positions, queries and keys are rotated here (in halves or in adjacent pairs, the first rotaryDim
   * dimensions of each head, at `positionIds`) by one RotaryEmbedding node each: so the q and k sites see them
   * unrotated, as HF's hooks do, and the cache holds keys rotated, which never need their position again.
   *
   * The cache (past, [B,Hkv,P,Dh]: the buffer the runtime holds, P ≥ the positions cached) is an input only, read
   * where it lies; the bias masks what is not filled yet. The scores over it and over the new keys share one
   * softmax, and the new keys and values come back as outputs [B,S,Hkv·Dh] for the runtime to write into the
   * cache. Nothing copies the cache. onnxruntime's GroupQueryAttention would: without a present buffer shared with
   * the past it clears a present of the past's size and copies the cached positions into it, per query head (an
   * 85M model at 512 positions: 0.4 ms per layer, three times this); and a present bound to the cache's memory
   * comes back through onnxruntime-node, which copies every output into a new JavaScript buffer after the run.
   * The bias [B,1,S,P+S] masks what the past holds beyond the cached positions, left padding and, among the new
   * positions, the future.
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
    const group = nHeads / nKvHeads;
    const { bias, splitSizes, rotary } = this.attentionTables(cache);
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
    /** [B,S,Hkv·Dh] → [B,Hkv,S,Dh] */
    const byHead = (x: string) =>
      g.op("Transpose", [g.op("Reshape", [x, g.int64([0, 0, nKvHeads, headDim])])], { perm: [0, 2, 1, 3] });
    // [B,S,H·Dh] → [B,S,Hkv,G,Dh] → [B,Hkv,G,S,Dh] → [B,Hkv,G·S,Dh]: a group's rows, query head by query head.
    const grouped = g.op("Reshape", [
      g.op("Transpose", [g.op("Reshape", [rotated(queries, nHeads), g.int64([0, 0, nKvHeads, group, headDim])])], {
        perm: [0, 2, 3, 1, 4],
      }),
      g.int64([0, nKvHeads, -1, headDim]),
    ]);
    const scale = { float: 1 / Math.sqrt(headDim) };
    const scores = g.op(
      "Concat",
      [
        g.contribOp("FusedMatMul", [grouped, cache.pastKey], { transB: 1, alpha: scale }),
        g.contribOp("FusedMatMul", [grouped, byHead(newKeys)], { transB: 1, alpha: scale }),
      ],
      { axis: -1 },
    );
    const probabilities = g.op("Softmax", [g.op("Add", [scores, bias])], { axis: -1 });
    const [overPast, overNew] = g.opMulti("Split", [probabilities, splitSizes], 2, { axis: -1 });
    const attended = g.op("Add", [
      g.op("MatMul", [overPast!, cache.pastValue]),
      g.op("MatMul", [overNew!, byHead(newValues)]),
    ]);
    // [B,Hkv,G·S,Dh] → [B,Hkv,G,S,Dh] → [B,S,Hkv,G,Dh] → [B,S,H,Dh]
    const z = g.op("Reshape", [
      g.op("Transpose", [g.op("Reshape", [attended, g.int64([0, nKvHeads, group, -1, headDim])])], {
        perm: [0, 3, 1, 2, 4],
      }),
      g.int64([0, 0, nHeads, headDim]),
    ]);
    return { z, newKeys, newValues };
  }

  /**
   * What every layer's attention shares, made once per run: the bias repeated for the G query heads of a group
   * ([B,1,G·S,P+S], rows in the order of `grouped` in attention()); the sizes P and S that split the probabilities
   * into the past's and the new positions'; and with rotary positions the cos/sin tables [B·S, rotaryDim/2] of
   * this run's own position ids, which RotaryEmbedding reads at rows 0…B·S-1. Tables over every position up to
   * P + S would cost each step in proportion to the sequence so far.
   */
  private attentionTables(cache: { pastKey: string; attentionBias: string; positionIds: string }): AttentionTables {
    if (this.tables) return this.tables;
    const { g, config } = this;
    const group = config.nHeads / config.nKvHeads;
    const dim = (x: string, axis: number) => g.op("Gather", [g.op("Shape", [x]), g.int64([axis])], { axis: 0 });
    this.tables = {
      bias: group === 1 ? cache.attentionBias : g.op("Tile", [cache.attentionBias, g.int64([1, 1, group, 1])]),
      splitSizes: g.op("Concat", [dim(cache.pastKey, 2), dim(cache.positionIds, 1)], { axis: 0 }),
    };
    if (config.positional === "rotary") {
      const { rotaryDim, ropeTheta } = config;
      const half = rotaryDim / 2;
      const inverseFrequencies = Float32Array.from({ length: half }, (_, i) =>
        Math.pow(ropeTheta, (-2 * i) / rotaryDim),
      );
      const { positionIds } = cache;
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
  bias: string;
  splitSizes: string;
  /** Each position's row of the tables, [B,S]. */
  rotary?: { cos: string; sin: string; positionIds: string };
}
