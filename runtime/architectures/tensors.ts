// The view of a weights file that architectures load from: tensors by name, as row-major float32 of a shape the
// architecture states, whatever the file's dtype, quantization or dimension order; or, for the matrices of a type
// the graph multiplies by as stored (every quantized GGUF type ptch reads), as their quantized blocks. The reader passes each tensor
// on to the weight store as soon as it is read, so architectures never hold more than one at a time.

import { ModelFormatError } from "../errors.js";
import { firstNonFinite } from "../../foundation/numbers.js";
import { quotedFromFile } from "../../foundation/text.js";
import type { GgufFile, NBitsTensor } from "../formats/gguf.js";
import type { WeightStore } from "../weight-store.js";
import type { BlockQuantized, Linear, Norm, TensorData } from "./config.js";

export interface TensorSource {
  /** The file named in errors (the directory, for sharded weights). */
  readonly file: string;
  has(name: string): boolean;
  /** Every tensor in the file(s). */
  names(): readonly string[];
  /** Row-major float32 values, shape outermost first; absent or of another shape is a ModelFormatError. */
  read(name: string, shape: readonly number[]): Float32Array;
  /**
   * A matrix [rows][columns] as the blocks a graph can keep quantized (MatMulNBits), when the file stores it in
   * such a type; undefined otherwise (read it as float32). Present for files that hold block-quantized types.
   */
  readNBits?(name: string, shape: readonly [number, number]): NBitsTensor | undefined;
}

/** A GGUF file's tensors: ggml lists dimensions fastest first, so shape [out, in] is ggml's [in, out]. */
export function ggufTensors(gguf: GgufFile): TensorSource {
  return {
    file: gguf.fileName ?? "model.gguf",
    has: (name) => gguf.tensors.has(name),
    names: () => [...gguf.tensors.keys()],
    read: (name, shape) => gguf.tensorF32(name, [...shape].reverse()),
    readNBits: (name, [rows, columns]) => gguf.tensorNBits(name, [columns, rows]),
  };
}

/**
 * Tensors that checkpoints carry besides weights, which no graph reads: GPT-2's causal-mask buffers and the
 * rotary frequency tables some exporters save.
 */
const NON_WEIGHT_TENSORS = [/\.attn\.(?:masked_)?bias$/, /\.rotary_emb\.inv_freq$/];

/**
 * Reads named tensors into the store, as the pieces the graph takes. Each tensor is checked as it passes: a NaN
 * or an infinity in a weight would turn every logit into NaN (and every token into `<unk>`), so it is an error
 * that names the tensor.
 */
export class WeightReader {
  private readonly read = new Set<string>();

  constructor(
    readonly source: TensorSource,
    private readonly store: WeightStore,
  ) {}

  has(name: string): boolean {
    return this.source.has(name);
  }

  tensor(name: string, shape: readonly number[], transform?: (values: Float32Array) => Float32Array): TensorData {
    const values = this.source.read(name, shape);
    this.read.add(name);
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      throw this.fail(`tensor ${quotedFromFile(name)} holds ${values[bad]} at element ${bad}: weights must be finite`);
    }
    return this.store.put(transform ? transform(values) : values);
  }

  /** The file's tensors that nothing has read (buffers that are not weights aside). */
  unreadTensors(): string[] {
    return this.source
      .names()
      .filter((name) => !this.read.has(name) && !NON_WEIGHT_TENSORS.some((pattern) => pattern.test(name)));
  }

  /** The tensor when the file has it. */
  optional(name: string, shape: readonly number[]): TensorData | undefined {
    return this.source.has(name) ? this.tensor(name, shape) : undefined;
  }

  norm(weightName: string, width: number, biasName?: string): Norm {
    const bias = biasName === undefined ? undefined : this.tensor(biasName, [width]);
    return { weight: this.tensor(weightName, [width]), ...(bias ? { bias } : {}) };
  }

  /**
   * A dense layer from inDim to outDim, stored [out][in] or, for Conv1D, [in][out]. With `hasBias` the bias
   * must be present; `transform` rewrites the stored matrix (row permutations).
   */
  linear(
    weightName: string,
    inDim: number,
    outDim: number,
    options: { layout?: Linear["layout"]; biasName?: string; transform?: (values: Float32Array) => Float32Array } = {},
  ): Linear {
    const layout = options.layout ?? "out-in";
    const shape = layout === "out-in" ? [outDim, inDim] : [inDim, outDim];
    const weight =
      (layout === "out-in" && !options.transform && this.blockQuantized(weightName, outDim, inDim)) ||
      this.tensor(weightName, shape, options.transform);
    const bias = options.biasName === undefined ? undefined : this.tensor(options.biasName, [outDim]);
    return { weight, inDim, outDim, layout, ...(bias ? { bias } : {}) };
  }

  /**
   * The matrix kept in its file's quantized blocks, when the file has it in a type the graph can multiply by as
   * stored: 28–31% (8 bits) or 16–19% (4 bits) of the memory of float32, and as much less to read per token.
   */
  private blockQuantized(name: string, rows: number, columns: number): BlockQuantized | undefined {
    const blocks = this.source.readNBits?.(name, [rows, columns]);
    if (blocks === undefined) return undefined;
    this.read.add(name);
    for (const [what, values] of [
      ["scaled by", blocks.scales],
      ["offset by", blocks.offsets ?? new Float32Array()],
    ] as const) {
      const bad = firstNonFinite(values);
      if (bad >= 0) {
        throw this.fail(
          `tensor ${quotedFromFile(name)} holds a block ${what} ${values[bad]} (block ${bad}): weights must be finite`,
        );
      }
    }
    const { bits, blockSize, accuracyLevel } = blocks;
    const [codes, scales] = [this.store.put(blocks.codes), this.store.put(blocks.scales)];
    const offsets = blocks.offsets && this.store.put(blocks.offsets);
    return {
      kind: "block-quantized",
      bits,
      accuracyLevel,
      blockSize,
      codes,
      scales,
      ...(offsets ? { offsets } : {}),
    };
  }

  fail(message: string): ModelFormatError {
    return new ModelFormatError(message, this.source.file);
  }
}
