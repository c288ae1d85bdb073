// Choosing the next token: greedy, or seeded sampling with temperature, top-k and top-p.
// The PRNG is our own (xoshiro128**), so a seed gives the same tokens on every machine and Node version.

import type { SamplingSpec } from "../compiler/plan-ir.js";

/** Greedy choice; ties go to the lowest id so results do not depend on the platform. */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** xoshiro128** seeded through splitmix32, giving uniform doubles in [0, 1). */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const splitmix32 = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = splitmix32();
    this.s1 = splitmix32();
    this.s2 = splitmix32();
    this.s3 = splitmix32();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** Picks next tokens for one sequence; holds its own PRNG so each sequence's draws are independent of batching. */
export class TokenSampler {
  private readonly random: SeededRandom | undefined;

  constructor(private readonly options: SamplingSpec) {
    this.random = options.kind === "sample" ? new SeededRandom(options.seed) : undefined;
  }

  next(logits: Float32Array): number {
    const o = this.options;
    if (o.kind === "greedy" || o.temperature === 0) return argmax(logits);
    // Candidates by falling logit; ties keep the lower id first.
    let candidates = Array.from(logits.keys()).sort((x, y) => logits[y]! - logits[x]! || x - y);
    if (o.topK !== undefined && o.topK > 0) candidates = candidates.slice(0, o.topK);
    const top = logits[candidates[0]!]!;
    let weights = candidates.map((id) => Math.exp((logits[id]! - top) / o.temperature));
    let total = weights.reduce((a, b) => a + b, 0);
    if (o.topP !== undefined && o.topP < 1) {
      // Keep the smallest prefix whose probability reaches top_p.
      let cumulative = 0;
      let keep = 0;
      while (keep < weights.length && cumulative < o.topP * total) cumulative += weights[keep++]!;
      candidates = candidates.slice(0, Math.max(1, keep));
      weights = weights.slice(0, candidates.length);
      total = weights.reduce((a, b) => a + b, 0);
    }
    let threshold = this.random!.nextDouble() * total;
    for (let i = 0; i < candidates.length; i++) {
      threshold -= weights[i]!;
      if (threshold < 0) return candidates[i]!;
    }
    return candidates[candidates.length - 1]!;
  }
}
