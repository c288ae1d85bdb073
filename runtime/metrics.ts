// The metrics of measures, computed from next-token logits. Each reads one distribution (and, for kl and
// normalized, the others it compares against), over the tokenizer's vocabulary.

import type { MeasureValue, Metric, TokenRef } from "../compiler/plan-ir.js";

/** A next-token distribution: its logits and their log-softmax, over the tokenizer's vocabulary. */
export interface Distribution {
  logits: Float32Array;
  logprobs: Float64Array;
}

export function distributionOf(logits: Float32Array): Distribution {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const logSum = max + Math.log(sum);
  return { logits, logprobs: Float64Array.from(logits, (x) => x - logSum) };
}

/** What a metric compares against: the other prompts' distributions it names, by prompt. */
export interface MetricContext {
  /** The id of a token reference; the checks made sure a text is one token. */
  tokenId: (token: TokenRef) => number;
  piece: (id: number) => string;
  /** kl(P): P's distribution as it stands at the measure. */
  reference?: Distribution;
  /** normalized: the inner metric's distributions on the clean and the corrupt prompt, without interventions. */
  clean?: Distribution;
  corrupt?: Distribution;
}

export function metricValue(metric: Metric, dist: Distribution, context: MetricContext): MeasureValue {
  const at = (token: TokenRef) => context.tokenId(token);
  switch (metric.kind) {
    case "logit":
      return dist.logits[at(metric.token)]!;
    case "prob":
      return Math.exp(dist.logprobs[at(metric.token)]!);
    case "logprob":
      return dist.logprobs[at(metric.token)]!;
    case "rank": {
      // Ties go to the lower id, as greedy choice does, so rank 0 is the token greedy decoding takes.
      const id = at(metric.token);
      const value = dist.logits[id]!;
      let rank = 0;
      dist.logits.forEach((x, other) => {
        if (x > value || (x === value && other < id)) rank++;
      });
      return rank;
    }
    case "logit_diff":
      return dist.logits[at(metric.a)]! - dist.logits[at(metric.b)]!;
    case "topk": {
      const ids = Array.from(dist.logits.keys())
        .sort((a, b) => dist.logits[b]! - dist.logits[a]! || a - b)
        .slice(0, metric.k);
      return ids.map((token) => ({ token, piece: context.piece(token), prob: Math.exp(dist.logprobs[token]!) }));
    }
    case "entropy": {
      let entropy = 0;
      for (const logprob of dist.logprobs) if (logprob > -Infinity) entropy -= Math.exp(logprob) * logprob;
      return entropy;
    }
    case "kl": {
      const reference = context.reference!;
      let kl = 0;
      reference.logprobs.forEach((logp, i) => {
        if (logp > -Infinity) kl += Math.exp(logp) * (logp - dist.logprobs[i]!);
      });
      return kl;
    }
    case "normalized": {
      const value = (d: Distribution) => metricValue(metric.metric, d, context) as number;
      const [clean, corrupt] = [value(context.clean!), value(context.corrupt!)];
      return (value(dist) - corrupt) / (clean - corrupt);
    }
    case "contains":
      throw new Error("internal: contains reads a generated text, not a distribution");
  }
}
