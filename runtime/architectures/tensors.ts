// The view of a weights file that architectures load from: tensors by name, as row-major float32 of a shape the
// architecture states, whatever the file's dtype, quantization or dimension order. The reader passes each
// tensor on to the weight store as soon as it is read, so architectures never hold more than one at a time.

import { ModelFormatError } from "../errors.js";
import type { GgufFile } from "../formats/gguf.js";
import type { WeightStore } from "../weight-store.js";
import type { Linear, Norm, TensorData } from "./config.js";

export interface TensorSource {
  /** The file named in errors (the directory, for sharded weights). */
  readonly file: string;
  has(name: string): boolean;
  /** Row-major float32 values, shape outermost first; absent or of another shape is a ModelFormatError. */
  read(name: string, shape: readonly number[]): Float32Array;
}

/** A GGUF file's tensors: ggml lists dimensions fastest first, so shape [out, in] is ggml's [in, out]. */
export function ggufTensors(gguf: GgufFile): TensorSource {
  return {
    file: gguf.fileName ?? "model.gguf",
    has: (name) => gguf.tensors.has(name),
    read: (name, shape) => gguf.tensorF32(name, [...shape].reverse()),
  };
}

/** Reads named tensors into the store, as the pieces the graph takes. */
export class WeightReader {
  constructor(
    readonly source: TensorSource,
    private readonly store: WeightStore,
  ) {}

  has(name: string): boolean {
    return this.source.has(name);
  }

  tensor(name: string, shape: readonly number[], transform?: (values: Float32Array) => Float32Array): TensorData {
    const values = this.source.read(name, shape);
    return this.store.put(transform ? transform(values) : values);
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
    const weight = this.tensor(weightName, shape, options.transform);
    const bias = options.biasName === undefined ? undefined : this.tensor(options.biasName, [outDim]);
    return { weight, inDim, outDim, layout, ...(bias ? { bias } : {}) };
  }

  fail(message: string): ModelFormatError {
    return new ModelFormatError(message, this.source.file);
  }
}
