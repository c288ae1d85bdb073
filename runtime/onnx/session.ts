// The only module that imports onnxruntime: everything else speaks in HostTensors, so the execution
// backend can change (GPU providers, WebAssembly) without touching model or generation code.

import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import { randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** A tensor in JavaScript memory: float activations, int32 ids, and int64 values handed between graph segments. */
export interface HostTensor<
  T extends Float32Array | BigInt64Array | Int32Array = Float32Array | BigInt64Array | Int32Array,
> {
  data: T;
  dims: number[];
}

export function floatTensor(data: Float32Array, dims: number[]): HostTensor<Float32Array> {
  return { data, dims };
}

export function int32Tensor(values: ArrayLike<number>, dims: number[]): HostTensor<Int32Array> {
  return { data: Int32Array.from(values), dims };
}

let sessionsCreated = 0;

/** How many sessions this process has compiled: each costs time, and memory for its activations. */
export const createdSessionCount = () => sessionsCreated;

/** One compiled graph, ready to run. */
export class GraphSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  /**
   * Compiles a model whose external data lies in `dir`, its matrices repacked for the kernels with `prepack`.
   * onnxruntime reads external data only from inside the model's own folder, so the model is written there for
   * the moment it takes to create the session.
   */
  static async create(modelBytes: Uint8Array, dir: string, prepack: boolean): Promise<GraphSession> {
    const file = path.join(dir, `graph-${randomUUID()}.onnx`);
    writeFileSync(file, modelBytes);
    try {
      const session = await ort.InferenceSession.create(file, {
        graphOptimizationLevel: "all",
        // One thread per core for the operators, run one at a time: a decode step is a chain of small operators.
        intraOpNumThreads: availableParallelism(),
        executionMode: "sequential",
        executionProviders: ["cpu"],
        // See GraphSegment.prepack.
        extra: { session: { disable_prepacking: prepack ? "0" : "1" } },
      });
      sessionsCreated++;
      return new GraphSession(session);
    } finally {
      rmSync(file, { force: true });
    }
  }

  /**
   * Runs the graph once; returns every graph output (float, but for values handed between segments). Outputs
   * are never bound to memory of the caller's: onnxruntime-node would copy each into a new buffer all the same.
   */
  async run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor<Float32Array>>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    const results = await this.session.run(ortFeeds);
    const out: Record<string, HostTensor<Float32Array>> = {};
    for (const [name, t] of Object.entries(results)) {
      out[name] = { data: t.data as Float32Array, dims: [...t.dims] };
      t.dispose();
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function toOrt(t: HostTensor): ort.Tensor {
  if (t.data instanceof BigInt64Array) return new ort.Tensor("int64", t.data, t.dims);
  if (t.data instanceof Int32Array) return new ort.Tensor("int32", t.data, t.dims);
  return new ort.Tensor("float32", t.data, t.dims);
}
