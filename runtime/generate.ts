// Generation with a KV cache, one onnxruntime run per step: prefill over the prompts, then one decode run
// per new token. Each step reads as prepare → forward → logits → sample → stop → update.
// Prompts of different lengths share a batch by left padding; padding is masked out and takes no position.

import type { SamplingSpec } from "../compiler/plan-ir.js";
import { elementCount } from "../foundation/text.js";
import { firstNonFinite } from "../foundation/numbers.js";
import { KvCache } from "./kv-cache.js";
import { GenerationError } from "./errors.js";
import type { CutHandler, GraphRunner } from "./graph-runner.js";
import { captureOutputName, hookInputName, MASKED_BIAS } from "./graph/transformer.js";
import { IdentitySlots, slotFeeds, type ActivationHook, type InterventionTable } from "./interventions.js";
import type { Model } from "./model.js";
import { floatTensor, int32Tensor, type HostTensor } from "./onnx/session.js";
import { TokenSampler } from "./sampling.js";
import { siteShape } from "../compiler/model-check.js";
import { siteId, type ActivationSite } from "./sites.js";

export interface GenerationRequest extends RowInterventions {
  /** Token ids as the model sees them, BOS included. */
  promptTokens: readonly number[];
  maxNewTokens: number;
  sampling?: SamplingSpec;
  /** Stop after the token that completes this text. */
  stopText?: string;
  /** Sees the logits each step samples from (over the tokenizer's vocabulary); step 0 gives the first new token. */
  onLogits?: (step: number, logits: Float32Array) => void;
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

/** What each batch row asks of a forward pass besides its tokens. */
export interface RowInterventions {
  interventions?: InterventionTable;
  /** TypeScript functions applied at sites, after the table's interventions there. */
  hooks?: readonly ActivationHook[];
}

/** Everything one forward pass needs besides the tokens: which graph, which slots, whose interventions. */
export interface ForwardContext {
  session: GraphRunner;
  slotSites: { site: ActivationSite; shape: number[] }[];
  rows: readonly RowInterventions[];
  /** Per-position shape of each hooked site, by the name of the input its hook feeds. */
  hookShapes: Map<string, { site: ActivationSite; shape: number[] }>;
  identitySlots: IdentitySlots;
}

const uniqueSites = (sites: Iterable<ActivationSite>) => [...new Map([...sites].map((s) => [siteId(s), s])).values()];

export async function forwardContext(
  model: Model,
  rows: readonly RowInterventions[],
  captures: readonly ActivationSite[] = [],
): Promise<ForwardContext> {
  const slots = uniqueSites(rows.flatMap((r) => r.interventions?.sites ?? []));
  const hooks = uniqueSites(rows.flatMap((r) => (r.hooks ?? []).map((h) => h.site)));
  const { runner, sites } = await model.graphFor({ slots, captures, hooks });
  return {
    session: runner,
    // The session may have more slots than these rows use (other points of a sweep): each is fed, as identity.
    slotSites: sites.slots.map((site) => ({ site, shape: siteShape(site.site, model.config) })),
    rows,
    hookShapes: new Map(
      hooks.map((site) => [hookInputName(site), { site, shape: siteShape(site.site, model.config) }]),
    ),
    identitySlots: new IdentitySlots(),
  };
}

/** Applies each row's TypeScript hooks at a cut, to the rows of this run that are real tokens. */
function hookHandler(context: ForwardContext, positions: readonly (readonly number[])[]): CutHandler {
  return (replacementName, value) => {
    const { site, shape } = context.hookShapes.get(replacementName)!;
    const width = elementCount(shape);
    const steps = positions[0]!.length;
    const data = Float32Array.from(value.data);
    positions.forEach((rowPositions, row) => {
      // Left padding: the real tokens are the row's last ones.
      const firstReal = rowPositions.findIndex((p) => p >= 0);
      if (firstReal < 0) return;
      const offset = (row * steps + firstReal) * width;
      const length = (steps - firstReal) * width;
      for (const hook of context.rows[row]!.hooks ?? []) {
        if (siteId(hook.site) !== siteId(site)) continue;
        const activation = data.slice(offset, offset + length);
        const replaced = hook.fn(activation, { positions: rowPositions.slice(firstReal), shape }) ?? activation;
        if (replaced.length !== length) {
          throw new Error(`hook at ${siteId(site)} returned ${replaced.length} values, expected ${length}`);
        }
        data.set(replaced, offset);
      }
    });
    return floatTensor(data, value.dims);
  };
}

/** Runs the graph over `run` on top of `cache`: logits [B,S,V], the new keys/values, and any captures. */
export async function forward(context: ForwardContext, cache: KvCache, run: RunInput) {
  const batch = run.tokens.length;
  const steps = run.tokens[0]!.length;
  return context.session.run(
    {
      input_ids: int32Tensor(run.tokens.flat(), [batch, steps]),
      position_ids: int32Tensor(
        run.positions.flat().map((p) => Math.max(p, 0)),
        [batch, steps],
      ),
      attention_bias: cache.attentionBias(
        run.positions.map((row) => row.map((p) => p >= 0)),
        MASKED_BIAS,
      ),
      ...cache.feeds(steps),
      ...slotFeeds(
        context.slotSites,
        context.rows.map((r) => r.interventions),
        run.positions,
        context.identitySlots,
      ),
    },
    hookHandler(context, run.positions),
  );
}

/**
 * One uncached run over whole sequences (one per batch row, same length, no padding): the logits of every
 * position and the captured sites. Interventions act at the same absolute positions as during generation.
 */
export async function forwardFull(
  model: Model,
  sequences: readonly (readonly number[])[],
  rows: readonly (RowInterventions | undefined)[] = [],
  captures: readonly ActivationSite[] = [],
): Promise<Record<string, HostTensor<Float32Array>>> {
  const context = await forwardContext(
    model,
    sequences.map((_, i) => rows[i] ?? {}),
    captures,
  );
  const run = leftPaddedPrefill(sequences, model.tokenizer.eosId);
  const cache = new KvCache(model.config, sequences.length, run.tokens[0]!.length);
  try {
    return await forward(context, cache, run);
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

/**
 * Logits that are NaN or infinite sample nothing meaningful (every token would come out as `<unk>`): an
 * intervention has overflowed float32 (a `scale … by 1e38`, an `add` of a huge vector), and the run ends here.
 */
function checkFinite(logits: Float32Array, row: number, step: number): void {
  const i = firstNonFinite(logits);
  if (i < 0) return;
  throw new GenerationError(
    `the logits of batch row ${row} at generation step ${step} are not finite (token ${i}: ${logits[i]}): ` +
      "an intervention made the activations overflow float32",
  );
}

/**
 * Where every row prompts with the same tokens (the points of a sweep over one prompt), the positions before the
 * first that any row intervenes at hold the same keys and values in every row, attention being causal: runs them
 * once, for one row, and writes the result into every row of `cache`. Returns the rest of the prompt, for every
 * row, which the caller runs next (its logits sample the first token). Rows with hooks run whole (a hook sees
 * every run).
 */
async function prefillSharedPrefix(
  context: ForwardContext,
  cache: KvCache,
  requests: readonly GenerationRequest[],
  prefill: RunInput,
): Promise<RunInput> {
  const [first] = requests;
  if (requests.length < 2 || requests.some((r) => r.hooks?.length)) return prefill;
  const tokens = first!.promptTokens;
  const samePrompt = (r: GenerationRequest) =>
    r.promptTokens.length === tokens.length && r.promptTokens.every((token, i) => token === tokens[i]);
  if (!requests.every(samePrompt)) return prefill;
  let shared = tokens.length - 1;
  for (const r of requests) shared = Math.min(shared, r.interventions?.firstPosition ?? shared);
  if (shared <= 0) return prefill;
  const single = new KvCache(cache.config, 1, shared);
  try {
    const prefix = { tokens: [tokens.slice(0, shared)], positions: [prefill.positions[0]!.slice(0, shared)] };
    const result = await forward({ ...context, rows: [{}] }, single, prefix);
    cache.update(
      prefill.positions.map(() => Array<boolean>(shared).fill(true)),
      result,
    );
  } finally {
    single.dispose();
  }
  return {
    tokens: prefill.tokens.map((row) => row.slice(shared)),
    positions: prefill.positions.map((row) => row.slice(shared)),
  };
}

/** `onStep` hears of each decode run: how many rows took a token in it, and how many rows it finished. */
export async function generate(
  model: Model,
  requests: readonly GenerationRequest[],
  onStep?: (tokens: number, finished: number) => void,
): Promise<GenerationOutput[]> {
  for (const r of requests) model.checkSequenceFits(r.promptTokens.length, r.maxNewTokens);
  const context = await forwardContext(model, requests);
  const samplers = requests.map((r) => new TokenSampler(r.sampling ?? { kind: "greedy" }));
  const eos = model.tokenizer.eosId;
  let run = leftPaddedPrefill(
    requests.map((r) => r.promptTokens),
    eos,
  );
  // Every row runs as many steps as the longest asks for (finished rows step on as padding).
  const cache = new KvCache(
    model.config,
    requests.length,
    run.tokens[0]!.length + Math.max(...requests.map((r) => r.maxNewTokens)),
  );
  const outputs: GenerationOutput[] = requests.map(() => ({ tokens: [], stopReason: "limit" }));
  const active = requests.map((r) => r.maxNewTokens > 0);
  // Stop texts are matched in the text as printed; the prompt's share of it is decoded once, not every step.
  const promptTexts = requests.map((r) => (r.stopText === undefined ? "" : model.tokenizer.decode(r.promptTokens)));

  const accept = (row: number, token: number) => {
    const output = outputs[row]!;
    const request = requests[row]!;
    if (token === eos) {
      output.stopReason = "eos";
      active[row] = false;
      return;
    }
    output.tokens.push(token);
    if (
      request.stopText !== undefined &&
      model.tokenizer
        .decodeContinuation(request.promptTokens, output.tokens, promptTexts[row])
        .includes(request.stopText)
    ) {
      output.stopReason = "stop-text";
      active[row] = false;
    } else if (output.tokens.length >= request.maxNewTokens) active[row] = false;
  };

  try {
    run = await prefillSharedPrefix(context, cache, requests, run);
    while (active.some(Boolean)) {
      const result = await forward(context, cache, run);
      // Embedding rows past the tokenizer's vocabulary (padding to a round size, as Pythia and Qwen2 have) are no
      // token and are never sampled.
      const next = lastLogits(result.logits!).map((logits, row) => {
        if (!active[row]) return eos;
        const vocabulary = logits.subarray(0, model.tokenizer.vocabSize);
        checkFinite(vocabulary, row, outputs[row]!.tokens.length);
        requests[row]!.onLogits?.(outputs[row]!.tokens.length, vocabulary);
        return samplers[row]!.next(vocabulary);
      });
      const stepping = active.filter(Boolean).length;
      next.forEach((token, row) => {
        if (active[row]) accept(row, token);
      });
      onStep?.(stepping, stepping - active.filter(Boolean).length);
      cache.update(
        run.positions.map((row) => row.map((p) => p >= 0)),
        result,
      );
      // A finished row steps on as padding, so that no intervention or hook acts on it again.
      run = {
        tokens: next.map((t) => [t]),
        positions: next.map((_, row) => [active[row] ? cache.tokenCount(row) : -1]),
      };
    }
  } finally {
    cache.dispose();
  }
  return outputs;
}
