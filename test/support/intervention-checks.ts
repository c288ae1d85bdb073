// What tests of interventions hold the runtime to: the reference forward pass hooked with the same affine maps,
// the largest logit difference from it, and greedy generation by recomputing the whole sequence every step.

import { forwardFull, type GenerationRequest } from "../../runtime/generate.js";
import type { InterventionTable } from "../../runtime/interventions.js";
import type { Model } from "../../runtime/model.js";
import { argmax } from "../../runtime/sampling.js";
import type { ReferenceHook } from "./reference-forward.js";

/** A reference hook applying the table's x → a·x + b at every site and position it covers. */
export function tableHook(table: InterventionTable | undefined): ReferenceHook {
  return (site, position, x) => {
    const affine = table?.affineAt(site, position);
    if (!affine) return;
    for (let i = 0; i < x.length; i++) x[i] = affine.a[i]! * x[i]! + affine.b[i]!;
  };
}

/** The largest absolute difference between logits [position·vocab] and the reference's rows. */
export function maxLogitDifference(actual: Float32Array, expected: Float64Array[], vocab: number): number {
  let worst = 0;
  expected.forEach((row, p) => row.forEach((v, i) => (worst = Math.max(worst, Math.abs(actual[p * vocab + i]! - v)))));
  return worst;
}

/** Greedy generation by recomputing the whole sequence, with the request's interventions, at every step. */
export async function recomputeGreedy(model: Model, request: GenerationRequest): Promise<number[]> {
  const sequence = [...request.promptTokens];
  const tokens: number[] = [];
  const vocab = model.config.vocabSize;
  while (tokens.length < request.maxNewTokens) {
    const { logits } = await forwardFull(model, [sequence], [request]);
    const next = argmax(logits!.data.subarray((sequence.length - 1) * vocab, sequence.length * vocab));
    if (next === model.tokenizer.eosId) break;
    tokens.push(next);
    sequence.push(next);
  }
  return tokens;
}
