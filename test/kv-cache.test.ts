// The KV cache's own contract, apart from any model: what a run is fed (the past buffers, read whole, and a bias
// that masks what they hold beyond the positions cached, left padding and the future) and how the buffers grow.

import { describe, expect, it } from "vitest";
import type { ModelConfig } from "../runtime/architectures/config.js";
import { GenerationError } from "../runtime/errors.js";
import { newKeysName, newValuesName, pastKeyName, pastValueName } from "../runtime/graph/transformer.js";
import { KvCache } from "../runtime/kv-cache.js";
import type { HostTensor } from "../runtime/onnx/session.js";

const CONFIG = { nLayers: 2, nKvHeads: 2, headDim: 3 } as ModelConfig;
const MASKED = -1e9;

/** A run's new keys and values [B,S,Hkv·Dh]: each element names its layer, row, position, head and dimension. */
function runOutputs(batch: number, positions: number[]): Record<string, HostTensor<Float32Array>> {
  const { nLayers, nKvHeads, headDim } = CONFIG;
  const outputs: Record<string, HostTensor<Float32Array>> = {};
  for (let l = 0; l < nLayers; l++) {
    for (const [name, kind] of [
      [newKeysName(l), 1],
      [newValuesName(l), 2],
    ] as const) {
      const data = new Float32Array(batch * positions.length * nKvHeads * headDim);
      let i = 0;
      for (let b = 0; b < batch; b++)
        for (const p of positions)
          for (let h = 0; h < nKvHeads; h++) for (let d = 0; d < headDim; d++) data[i++] = code(kind, l, b, p, h, d);
      outputs[name] = { data, dims: [batch, positions.length, nKvHeads * headDim] };
    }
  }
  return outputs;
}

const code = (kind: number, l: number, b: number, p: number, h: number, d: number) =>
  kind * 1e5 + l * 1e4 + b * 1e3 + p * 10 + h * 5 + d;

describe("KvCache", () => {
  it("feeds its buffers whole, every cached position where a run left it, across the growths", () => {
    const cache = new KvCache(CONFIG, 2, 40);
    const validity = (steps: number) => [Array<boolean>(steps).fill(true), Array<boolean>(steps).fill(true)];
    cache.update(validity(3), runOutputs(2, [0, 1, 2]));
    for (let p = 3; p < 20; p++) {
      const feeds = cache.feeds(1);
      const past = feeds[pastKeyName(0)]!.dims[2]!;
      expect(past).toBeGreaterThanOrEqual(p);
      expect(past).toBeLessThanOrEqual(Math.max(2 * p, 3));
      for (let l = 0; l < CONFIG.nLayers; l++) {
        for (const [name, kind] of [
          [pastKeyName(l), 1],
          [pastValueName(l), 2],
        ] as const) {
          const { data, dims } = feeds[name]!;
          expect(dims).toEqual([2, 2, past, 3]);
          for (let b = 0; b < 2; b++)
            for (let h = 0; h < 2; h++)
              for (let t = 0; t < p; t++)
                for (let d = 0; d < 3; d++)
                  expect(data[((b * 2 + h) * past + t) * 3 + d]).toBe(code(kind, l, b, t, h, d));
        }
      }
      cache.update(validity(1), runOutputs(2, [p]));
    }
    expect(cache.length).toBe(20);
  });

  it("gives the first run no past, and masks left padding, unfilled room and the future", () => {
    const cache = new KvCache(CONFIG, 2, 8);
    const prefill = [
      [false, true, true],
      [true, true, true],
    ];
    expect(cache.feeds(3)[pastKeyName(0)]!.dims).toEqual([2, 2, 0, 3]);
    const first = cache.attentionBias(prefill, MASKED);
    expect(first.dims).toEqual([2, 1, 3, 3]);
    // Row 0: position 0 is padding; each query sees the real positions up to its own.
    expect([...first.data.subarray(0, 9)]).toEqual([MASKED, MASKED, MASKED, MASKED, 0, MASKED, MASKED, 0, 0]);
    expect([...first.data.subarray(9, 18)]).toEqual([0, MASKED, MASKED, 0, 0, MASKED, 0, 0, 0]);
    cache.update(prefill, runOutputs(2, [0, 1, 2]));

    // The room is what the prefill needed; the first step's positions make it grow (doubling), and the next run
    // reads the room it has not filled, masked.
    const first1 = cache.attentionBias([[true], [true]], MASKED);
    expect(first1.dims).toEqual([2, 1, 1, 4]);
    expect([...first1.data]).toEqual([MASKED, 0, 0, 0, 0, 0, 0, 0]);
    cache.update([[true], [true]], runOutputs(2, [3]));
    const step = cache.attentionBias([[true], [true]], MASKED);
    const past = cache.feeds(1)[pastKeyName(0)]!.dims[2]!;
    expect(past).toBe(6);
    expect(step.dims).toEqual([2, 1, 1, past + 1]);
    const row = (b: number) => [...step.data.subarray(b * (past + 1), (b + 1) * (past + 1))];
    expect(row(0)).toEqual([MASKED, 0, 0, 0, MASKED, MASKED, 0]);
    expect(row(1)).toEqual([0, 0, 0, 0, MASKED, MASKED, 0]);
    expect(cache.tokenCount(0)).toBe(3);
    expect(cache.tokenCount(1)).toBe(4);
  });

  it("refuses a run past its capacity", () => {
    const cache = new KvCache(CONFIG, 1, 4);
    cache.update([[true, true, true]], runOutputs(1, [0, 1, 2]));
    expect(() => cache.feeds(2)).toThrow(GenerationError);
    expect(() => cache.feeds(2)).toThrow("holds 4 positions; a run of 2 after 3 would overflow it");
  });
});
