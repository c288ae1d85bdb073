// The key/value cache of one batch: each layer's keys and values for every position run so far, plus which
// of those positions are real tokens (left padding is cached too, but never attended to).
//
// Each layer's buffer is allocated once, at the capacity the whole generation needs. A run reads it as its past,
// where it lies, and returns only its new positions' keys and values, which are written after the cached ones
// (see GroupQueryAttention in blocks.ts): the cache never moves between steps.

import { floatTensor, type HostTensor } from "./onnx/session.js";
import { newKeysName, newValuesName, pastKeyName, pastValueName } from "./graph/transformer.js";
import type { ModelConfig } from "./architectures/config.js";
import { GenerationError } from "./errors.js";

export class KvCache {
  private buffers: { key: HostTensor<Float32Array>; value: HostTensor<Float32Array> }[];
  /** validity[row][t]: whether cached position t of that row is a real token. */
  private readonly validity: boolean[][];
  /** Per row, how many of its cached positions are real tokens. */
  private readonly realCounts: number[];
  private disposed = false;

  /** `capacity`: the most positions (padding included) that the cache will ever hold. */
  constructor(
    readonly config: ModelConfig,
    readonly batchSize: number,
    readonly capacity: number,
  ) {
    const dims = [batchSize, config.nKvHeads, capacity, config.headDim];
    const size = batchSize * config.nKvHeads * capacity * config.headDim;
    this.buffers = Array.from({ length: config.nLayers }, () => ({
      key: floatTensor(new Float32Array(size), dims),
      value: floatTensor(new Float32Array(size), dims),
    }));
    this.validity = Array.from({ length: batchSize }, () => []);
    this.realCounts = Array<number>(batchSize).fill(0);
  }

  /** Number of positions cached (padding included); every row has the same. */
  get length(): number {
    return this.validity[0]?.length ?? 0;
  }

  /** Real tokens cached in `row`: the position id its next token gets. */
  tokenCount(row: number): number {
    return this.realCounts[row]!;
  }

  /** The past_key / past_value feeds for a run of `steps` new positions. */
  feeds(steps: number): Record<string, HostTensor> {
    this.assertLive();
    if (this.length + steps > this.capacity) {
      throw new GenerationError(
        `the key/value cache holds ${this.capacity} positions; a run of ${steps} after ${this.length} would overflow it`,
      );
    }
    const feeds: Record<string, HostTensor> = {};
    this.buffers.forEach(({ key, value }, l) => {
      feeds[pastKeyName(l)] = key;
      feeds[pastValueName(l)] = value;
    });
    return feeds;
  }

  /**
   * Additive attention bias [B,1,S,T] for a run over `newValidity` (per row, whether each new position is
   * a real token): a query sees the real tokens at or before its own position.
   */
  attentionBias(newValidity: readonly (readonly boolean[])[], maskedBias: number): HostTensor<Float32Array> {
    const past = this.length;
    const steps = newValidity[0]!.length;
    const total = past + steps;
    const bias = new Float32Array(this.batchSize * steps * total);
    for (let b = 0; b < this.batchSize; b++) {
      const cached = this.validity[b]!;
      const fresh = newValidity[b]!;
      for (let s = 0; s < steps; s++) {
        const rowStart = (b * steps + s) * total;
        for (let t = 0; t < past; t++) bias[rowStart + t] = cached[t] ? 0 : maskedBias;
        for (let t = 0; t < steps; t++) bias[rowStart + past + t] = fresh[t] && t <= s ? 0 : maskedBias;
      }
    }
    return floatTensor(bias, [this.batchSize, 1, steps, total]);
  }

  /**
   * Writes a run's new keys and values (its outputs, [B,S,Hkv·Dh] per layer, or [1,S,Hkv·Dh] for every row alike)
   * into the buffers after the cached positions, and records which of them are real tokens.
   */
  update(newValidity: readonly (readonly boolean[])[], outputs: Record<string, HostTensor<Float32Array>>): void {
    this.assertLive();
    const steps = newValidity[0]!.length;
    const past = this.length;
    this.buffers.forEach(({ key, value }, l) => {
      this.write(key.data, outputs[newKeysName(l)]!.data, past, steps);
      this.write(value.data, outputs[newValuesName(l)]!.data, past, steps);
    });
    newValidity.forEach((row, b) => {
      for (const valid of row) {
        this.validity[b]!.push(valid);
        if (valid) this.realCounts[b]!++;
      }
    });
  }

  /** Copies `fresh` [B,S,Hkv,Dh] (or [1,S,Hkv,Dh], to every row) into `buffer` [B,Hkv,capacity,Dh] at past…past+S−1. */
  private write(buffer: Float32Array, fresh: Float32Array, past: number, steps: number): void {
    const { nKvHeads, headDim } = this.config;
    const rowsGiven = fresh.length / (steps * nKvHeads * headDim);
    // Element by element: a head is a few floats, and a subarray per head would cost more than its copy.
    for (let b = 0; b < this.batchSize; b++) {
      const source = rowsGiven === 1 ? 0 : b;
      for (let s = 0; s < steps; s++) {
        for (let h = 0; h < nKvHeads; h++) {
          const from = ((source * steps + s) * nKvHeads + h) * headDim;
          const to = ((b * nKvHeads + h) * this.capacity + past + s) * headDim;
          for (let d = 0; d < headDim; d++) buffer[to + d] = fresh[from + d]!;
        }
      }
    }
  }

  dispose(): void {
    this.buffers = [];
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error("KvCache used after dispose()");
  }
}
