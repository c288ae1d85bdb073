// The only module that imports onnxruntime: everything else speaks in HostTensors, so the execution
// backend can change (GPU providers, WebAssembly) without touching model or generation code.

import * as ort from "onnxruntime-node";

export interface HostTensor<T extends Float32Array | BigInt64Array = Float32Array | BigInt64Array> {
  data: T;
  dims: number[];
}

export function floatTensor(data: Float32Array, dims: number[]): HostTensor<Float32Array> {
  return { data, dims };
}

export function int64Tensor(values: ArrayLike<number> | BigInt64Array, dims: number[]): HostTensor<BigInt64Array> {
  const data = values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
  return { data, dims };
}

/** One compiled graph, ready to run. */
export class GraphSession {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(modelBytes: Uint8Array): Promise<GraphSession> {
    const session = await ort.InferenceSession.create(modelBytes, {
      graphOptimizationLevel: "all",
      executionProviders: ["cpu"],
    });
    return new GraphSession(session);
  }

  /** Runs the graph once; returns every graph output as a float tensor. */
  async run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor<Float32Array>>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = t.data instanceof BigInt64Array ? new ort.Tensor("int64", t.data, t.dims) : new ort.Tensor("float32", t.data, t.dims);
    }
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
