// Generation with a KV cache, one onnxruntime run per step: prefill over the prompts, then one decode run
// per new token. Each step reads as prepare → forward → logits → sample → stop → update.
// Prompts of different lengths share a batch by left padding; padding is masked out and takes no position.

import { KvCache } from "./kv-cache.js";
import { captureOutputName, MASKED_BIAS } from "./llama-graph.js";
import { slotFeeds, type InterventionTable } from "./interventions.js";
import type { Model } from "./model.js";
import { int64Tensor, type GraphSession, type HostTensor } from "./onnx/session.js";
import { TokenSampler, type SamplingOptions } from "./sampling.js";
import { siteId, siteShape, type ActivationSite } from "./sites.js";

export interface GenerationRequest {
  /** Token ids as the model sees them, BOS included. */
  promptTokens: readonly number[];
  maxNewTokens: number;
  sampling?: SamplingOptions;
  /** Stop after the token that completes this text. */
  stopText?: string;
  interventions?: InterventionTable;
}

export interface GenerationOutput {
  tokens: number[];
  stopReason: "eos" | "limit" | "stop-text";
}

/** One run's new tokens per batch row; `positions` holds each token's absolute position, -1 for padding. */
interface RunInput {
  tokens: number[][];
  positions: number[][];
}

function leftPaddedPrefill(prompts: readonly (readonly number[])[], padId: number): RunInput {
  const width = Math.max(...prompts.map((p) => p.length));
  return {
    tokens: prompts.map((p) => [...Array<number>(width - p.length).fill(padId), ...p]),
    positions: prompts.map((p) => [...Array<number>(width - p.length).fill(-1), ...p.map((_, i) => i)]),
  };
}

/** Everything one forward pass needs besides the tokens: which graph, which slots, whose interventions. */
export interface ForwardContext {
  session: GraphSession;
  slotSites: { site: ActivationSite; shape: number[] }[];
  tables: readonly (InterventionTable | undefined)[];
}

export async function forwardContext(
  model: Model,
  tables: readonly (InterventionTable | undefined)[],
  captures: readonly ActivationSite[] = [],
): Promise<ForwardContext> {
  const slots = new Map<string, ActivationSite>();
  for (const table of tables) for (const site of table?.sites ?? []) slots.set(siteId(site), site);
  const slotList = [...slots.values()];
  return {
    session: await model.session({ slots: slotList, captures }),
    slotSites: slotList.map((site) => ({ site, shape: siteShape(site, model.config) })),
    tables,
  };
}

/** Runs the graph over `run` on top of `cache`: logits [B,S,V], present keys/values, and any captures. */
export async function forward(context: ForwardContext, cache: KvCache, run: RunInput) {
  const batch = run.tokens.length;
  const steps = run.tokens[0]!.length;
  return context.session.run({
    input_ids: int64Tensor(run.tokens.flat(), [batch, steps]),
    position_ids: int64Tensor(
      run.positions.flat().map((p) => Math.max(p, 0)),
      [batch, steps],
    ),
    attention_bias: cache.attentionBias(
      run.positions.map((row) => row.map((p) => p >= 0)),
      MASKED_BIAS,
    ),
    ...cache.feeds(),
    ...slotFeeds(context.slotSites, context.tables, run.positions),
  });
}

/**
 * One uncached run over whole sequences (one per batch row, same length, no padding): the logits of every
 * position and the captured sites. Interventions act at the same absolute positions as during generation.
 */
export async function forwardFull(
  model: Model,
  sequences: readonly (readonly number[])[],
  tables: readonly (InterventionTable | undefined)[] = sequences.map(() => undefined),
  captures: readonly ActivationSite[] = [],
): Promise<Record<string, HostTensor<Float32Array>>> {
  const context = await forwardContext(model, tables, captures);
  const cache = new KvCache(model.config, sequences.length);
  try {
    return await forward(context, cache, leftPaddedPrefill(sequences, model.tokenizer.eosId));
  } finally {
    cache.dispose();
  }
}

/** The captured activation of `site` from forwardFull's outputs. */
export const capturedActivation = (outputs: Record<string, HostTensor<Float32Array>>, site: ActivationSite) =>
  outputs[captureOutputName(site)]!;

/** The logits of the last position of each batch row. */
function lastLogits(logits: HostTensor<Float32Array>): Float32Array[] {
  const [batch, steps, vocab] = logits.dims as [number, number, number];
  return Array.from({ length: batch }, (_, b) =>
    logits.data.subarray(((b + 1) * steps - 1) * vocab, (b + 1) * steps * vocab),
  );
}

export async function generate(model: Model, requests: readonly GenerationRequest[]): Promise<GenerationOutput[]> {
  for (const r of requests) model.checkSequenceFits(r.promptTokens.length, r.maxNewTokens);
  const context = await forwardContext(
    model,
    requests.map((r) => r.interventions),
  );
  const samplers = requests.map((r) => new TokenSampler(r.sampling ?? { kind: "greedy" }));
  const cache = new KvCache(model.config, requests.length);
  const outputs: GenerationOutput[] = requests.map(() => ({ tokens: [], stopReason: "limit" }));
  const active = requests.map((r) => r.maxNewTokens > 0);
  const eos = model.tokenizer.eosId;

  const accept = (row: number, token: number) => {
    const output = outputs[row]!;
    const request = requests[row]!;
    if (token === eos) {
      output.stopReason = "eos";
      active[row] = false;
      return;
    }
    output.tokens.push(token);
    if (request.stopText !== undefined && model.tokenizer.decode(output.tokens, { fromSequenceStart: false }).includes(request.stopText)) {
      output.stopReason = "stop-text";
      active[row] = false;
    } else if (output.tokens.length >= request.maxNewTokens) active[row] = false;
  };

  try {
    let run = leftPaddedPrefill(
      requests.map((r) => r.promptTokens),
      eos,
    );
    while (active.some(Boolean)) {
      const result = await forward(context, cache, run);
      const next = lastLogits(result.logits!).map((logits, row) => (active[row] ? samplers[row]!.next(logits) : eos));
      next.forEach((token, row) => {
        if (active[row]) accept(row, token);
      });
      cache.update(
        result,
        run.positions.map((row) => row.map((p) => p >= 0)),
      );
      // Finished rows keep stepping with a placeholder token; their results are no longer read.
      run = {
        tokens: next.map((t) => [t]),
        positions: next.map((_, row) => [cache.tokenCount(row)]),
      };
    }
  } finally {
    cache.dispose();
  }
  return outputs;
}
