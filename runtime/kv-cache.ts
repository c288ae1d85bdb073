// The key/value cache of one batch: each layer's keys and values for every position run so far, plus which
// of those positions are real tokens (left padding is cached too, but never attended to).

import { floatTensor, type HostTensor } from "./onnx/session.js";
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from "./graph/transformer.js";
import type { ModelConfig } from "./architectures/config.js";

export class KvCache {
  private keys: Float32Array[];
  private values: Float32Array[];
  /** validity[row][t]: whether cached position t of that row is a real token. */
  private readonly validity: boolean[][];
  private disposed = false;

  constructor(
    private readonly config: ModelConfig,
    readonly batchSize: number,
  ) {
    this.keys = Array.from({ length: config.nLayers }, () => new Float32Array(0));
    this.values = Array.from({ length: config.nLayers }, () => new Float32Array(0));
    this.validity = Array.from({ length: batchSize }, () => []);
  }

  /** Number of positions cached (padding included); every row has the same. */
  get length(): number {
    return this.validity[0]?.length ?? 0;
  }

  /** Real tokens cached in `row`: the position id its next token gets. */
  tokenCount(row: number): number {
    return this.validity[row]!.filter(Boolean).length;
  }

  /** The past_key / past_value feeds for the next run. */
  feeds(): Record<string, HostTensor> {
    this.assertLive();
    const dims = [this.batchSize, this.config.nKvHeads, this.length, this.config.headDim];
    const feeds: Record<string, HostTensor> = {};
    for (let l = 0; l < this.config.nLayers; l++) {
      feeds[pastKeyName(l)] = floatTensor(this.keys[l]!, dims);
      feeds[pastValueName(l)] = floatTensor(this.values[l]!, dims);
    }
    return feeds;
  }

  /**
   * Additive attention bias [B,1,1,S,T] for a run over `newValidity` (per row, whether each new position is
   * a real token): a query sees the real tokens at or before its own position.
   */
  attentionBias(newValidity: readonly (readonly boolean[])[], maskedBias: number): HostTensor<Float32Array> {
    const past = this.length;
    const steps = newValidity[0]!.length;
    const total = past + steps;
    const bias = new Float32Array(this.batchSize * steps * total);
    for (let b = 0; b < this.batchSize; b++) {
      const valid = [...this.validity[b]!, ...newValidity[b]!];
      for (let s = 0; s < steps; s++) {
        const rowStart = (b * steps + s) * total;
        for (let t = 0; t < total; t++) bias[rowStart + t] = valid[t] && t <= past + s ? 0 : maskedBias;
      }
    }
    return floatTensor(bias, [this.batchSize, 1, 1, steps, total]);
  }

  /** Takes the run's present keys and values as the new cache. */
  update(outputs: Record<string, HostTensor<Float32Array>>, newValidity: readonly (readonly boolean[])[]): void {
    this.assertLive();
    for (let l = 0; l < this.config.nLayers; l++) {
      this.keys[l] = outputs[presentKeyName(l)]!.data;
      this.values[l] = outputs[presentValueName(l)]!.data;
    }
    newValidity.forEach((row, b) => this.validity[b]!.push(...row));
  }

  dispose(): void {
    this.keys = [];
    this.values = [];
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error("KvCache used after dispose()");
  }
}
