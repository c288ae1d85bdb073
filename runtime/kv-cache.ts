// The key/value cache of one batch: each layer's keys and values for every position run so far, plus which
// of those positions are real tokens (left padding is cached too, but never attended to).
//
// A run reads each layer's buffer ([B,Hkv,P,Dh]) whole as its past, where it lies, with the bias masking the
// positions not filled yet, and returns only its new positions' keys and values, which are written after the
// cached ones (see attention in blocks.ts). The buffers grow by doubling, up to the capacity the generation needs,
// so that a run reads and masks at most about as many positions again as it attends to, and a step costs in
// proportion to the sequence so far; growing copies the cache, on average less than one position per step.

import { floatTensor, type HostTensor } from "./onnx/session.js";
import { newKeysName, newValuesName, pastKeyName, pastValueName } from "./graph/transformer.js";
import type { ModelConfig } from "./architectures/config.js";
import { GenerationError } from "./errors.js";

export class KvCache {
  private buffers: { key: Float32Array; value: Float32Array }[] = [];
  /** Positions each buffer holds room for. */
  private allocated = 0;
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

  /** Refuses a run of `steps` positions that the capacity cannot hold. */
  private checkRoom(steps: number): void {
    this.assertLive();
    if (this.length + steps > this.capacity) {
      throw new GenerationError(
        `the key/value cache holds ${this.capacity} positions; a run of ${steps} after ${this.length} would overflow it`,
      );
    }
  }

  /** Makes room for `steps` positions after those cached: twice the room, or the capacity, when there is none. */
  private reserve(steps: number): void {
    this.checkRoom(steps);
    const needed = this.length + steps;
    if (needed <= this.allocated) return;
    const room = Math.min(this.capacity, Math.max(needed, 2 * this.allocated));
    const { nKvHeads, nLayers, headDim } = this.config;
    const heads = this.batchSize * nKvHeads;
    const grown = (old: Float32Array | undefined) => {
      const buffer = new Float32Array(heads * room * headDim);
      if (old === undefined) return buffer;
      for (let head = 0; head < heads; head++) {
        const from = head * this.allocated * headDim;
        buffer.set(old.subarray(from, from + this.length * headDim), head * room * headDim);
      }
      return buffer;
    };
    // Layer by layer, so that each old buffer can go before the next new one is made.
    for (let l = 0; l < nLayers; l++) {
      const old = this.buffers[l];
      this.buffers[l] = { key: grown(old?.key), value: grown(old?.value) };
    }
    this.allocated = room;
  }

  /**
   * Positions the past of a run holds: the buffers' room (update() makes it, for the positions a run returns), or
   * none before the first run.
   */
  private get pastLength(): number {
    return this.length === 0 ? 0 : this.allocated;
  }

  /** The past_key / past_value feeds for a run of `steps` new positions: the whole buffers. */
  feeds(steps: number): Record<string, HostTensor> {
    this.checkRoom(steps);
    const dims = [this.batchSize, this.config.nKvHeads, this.pastLength, this.config.headDim];
    const feeds: Record<string, HostTensor> = {};
    for (let l = 0; l < this.config.nLayers; l++) {
      const layer = this.length === 0 ? undefined : this.buffers[l]!;
      feeds[pastKeyName(l)] = floatTensor(layer?.key ?? new Float32Array(0), dims);
      feeds[pastValueName(l)] = floatTensor(layer?.value ?? new Float32Array(0), dims);
    }
    return feeds;
  }

  /**
   * Additive attention bias [B,1,S,P+S] for a run over `newValidity` (per row, whether each new position is
   * a real token), P being the past that feeds() gives: a query sees the real tokens cached and the real new ones
   * at or before its own position.
   */
  attentionBias(newValidity: readonly (readonly boolean[])[], maskedBias: number): HostTensor<Float32Array> {
    const steps = newValidity[0]!.length;
    this.checkRoom(steps);
    const cached = this.length;
    const past = this.pastLength;
    const total = past + steps;
    const bias = new Float32Array(this.batchSize * steps * total).fill(maskedBias);
    for (let b = 0; b < this.batchSize; b++) {
      const validity = this.validity[b]!;
      const fresh = newValidity[b]!;
      for (let s = 0; s < steps; s++) {
        const rowStart = (b * steps + s) * total;
        for (let t = 0; t < cached; t++) if (validity[t]) bias[rowStart + t] = 0;
        for (let t = 0; t <= s; t++) if (fresh[t]) bias[rowStart + past + t] = 0;
      }
    }
    return floatTensor(bias, [this.batchSize, 1, steps, total]);
  }

  /**
   * Writes a run's new keys and values (its outputs, [B,S,Hkv·Dh] per layer, or [1,S,Hkv·Dh] for every row alike)
   * into the buffers after the cached positions, and records which of them are real tokens.
   */
  update(newValidity: readonly (readonly boolean[])[], outputs: Record<string, HostTensor<Float32Array>>): void {
    const steps = newValidity[0]!.length;
    this.reserve(steps);
    const past = this.length;
    this.buffers.forEach(({ key, value }, l) => {
      this.write(key, outputs[newKeysName(l)]!.data, past, steps);
      this.write(value, outputs[newValuesName(l)]!.data, past, steps);
    });
    newValidity.forEach((row, b) => {
      for (const valid of row) {
        this.validity[b]!.push(valid);
        if (valid) this.realCounts[b]!++;
      }
    });
  }

  /** Copies `fresh` [B,S,Hkv,Dh] (or [1,S,Hkv,Dh], to every row) into `buffer` [B,Hkv,room,Dh] at past…past+S−1. */
  private write(buffer: Float32Array, fresh: Float32Array, past: number, steps: number): void {
    const { nKvHeads, headDim } = this.config;
    const rowsGiven = fresh.length / (steps * nKvHeads * headDim);
    // Element by element: a head is a few floats, and a subarray per head would cost more than its copy.
    for (let b = 0; b < this.batchSize; b++) {
      const source = rowsGiven === 1 ? 0 : b;
      for (let s = 0; s < steps; s++) {
        for (let h = 0; h < nKvHeads; h++) {
          const from = ((source * steps + s) * nKvHeads + h) * headDim;
          const to = ((b * nKvHeads + h) * this.allocated + past + s) * headDim;
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
