// Runs a model graph that may be split at sites hooked by TypeScript functions: one onnxruntime run per
// segment, with the hook applied to the value at each cut before the next segment reads it. Without hooks
// there is a single segment, so a generation step stays one onnxruntime run.

import type { GraphSegment } from "./onnx/graph-builder.js";
import { GraphSession, type HostTensor } from "./onnx/session.js";

/** Transforms the value at a cut, given by the name of the replacement the next segment reads. */
export type CutHandler = (replacementName: string, value: HostTensor<Float32Array>) => HostTensor<Float32Array>;

export class GraphRunner {
  private constructor(
    private readonly segments: readonly GraphSegment[],
    private readonly sessions: readonly GraphSession[],
  ) {}

  /** Compiles the segments; `dir` holds the weight files they refer to. */
  static async create(segments: readonly GraphSegment[], dir: string): Promise<GraphRunner> {
    const created = await Promise.allSettled(segments.map((s) => GraphSession.create(s.bytes, dir, s.prepack)));
    const sessions = created.flatMap((c) => (c.status === "fulfilled" ? [c.value] : []));
    const failure = created.find((c) => c.status === "rejected");
    if (failure) {
      // Release the segments that did compile before reporting the one that did not.
      await Promise.all(sessions.map((s) => s.dispose()));
      throw failure.reason;
    }
    return new GraphRunner(segments, sessions);
  }

  /** Runs every segment in order; returns all values the segments output (graph outputs among them). */
  async run(feeds: Record<string, HostTensor>, onCut?: CutHandler): Promise<Record<string, HostTensor<Float32Array>>> {
    const values: Record<string, HostTensor> = { ...feeds };
    const outputs: Record<string, HostTensor<Float32Array>> = {};
    for (const [i, segment] of this.segments.entries()) {
      const segmentFeeds = Object.fromEntries(segment.inputs.map((name) => [name, values[name]!]));
      const results = await this.sessions[i]!.run(segmentFeeds);
      Object.assign(values, results);
      Object.assign(outputs, results);
      if (segment.cut) {
        if (!onCut) throw new Error("a split graph needs a handler for its cuts");
        values[segment.cut.replacement] = onCut(segment.cut.replacement, results[segment.cut.value]!);
      }
    }
    return outputs;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.dispose()));
  }
}
