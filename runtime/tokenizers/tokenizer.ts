// What the runtime asks of a tokenizer, whichever algorithm and file it comes from (a GGUF vocabulary, a
// tokenizer.json): ids with the character span of each, and text back from ids.

import { metricTokens, type TokenizedTexts } from "../../compiler/model-check.js";
import { measuresOf } from "../../compiler/measures.js";
import type { BoundPlan } from "../../compiler/plan-ir.js";
import type { TokenizedPrompt } from "../../compiler/resolve.js";

/** A half-open range [start, end) of UTF-16 offsets into the encoded text, as `text.slice` takes them. */
export type CharSpan = readonly [start: number, end: number];

export interface Encoding {
  readonly ids: number[];
  /**
   * spans[i] is the text that token i stands for. The "▁" of the space prefix stands for no character: a token
   * "▁Once" at the start covers just "Once", a lone prefix "▁" is the empty span [0, 0), and so is BOS.
   * The byte-fallback tokens of one character all have that character's span.
   */
  readonly spans: CharSpan[];
}

export interface EncodeOptions {
  /** Start with the BOS token; the model's own rule when omitted. */
  addBos?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  /** The id a sequence starts with when `addBos`; models without one (GPT-2) have none. */
  readonly bosId: number | undefined;
  /** The end-of-text token: generation stops at it, and it pads shorter prompts of a batch. */
  readonly eosId: number;
  /** Whether `encode` starts with BOS unless told otherwise. */
  readonly addBos: boolean;
  /** The token ids of `text`, starting with BOS if `options.addBos` or the model says so. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Like `encode`, with the span of `text` that each token covers. */
  encodeWithSpans(text: string, options?: EncodeOptions): Encoding;
  /** The text of `ids`; special tokens (BOS, EOS) stand for no text. */
  decode(ids: readonly number[]): string;
  /** The text that `tokens` add after `promptTokens`, as it reads in the whole sequence. */
  decodeContinuation(promptTokens: readonly number[], tokens: readonly number[], promptText?: string): string;
  /** The vocabulary's piece for `id`, as the tokenizer file spells it ("▁Once", "Ġthe", "<s>"). */
  piece(id: number): string;
}

/** Every prompt of `plan` as the model sees it, by name: what its selections resolve on. */
export function tokenizePrompts(tokenizer: Tokenizer, plan: BoundPlan): Map<string, TokenizedPrompt> {
  return new Map(
    plan.prompts.map((p) => {
      const { ids, spans } = tokenizer.encodeWithSpans(p.text);
      return [p.name, { text: p.text, tokens: ids, spans }];
    }),
  );
}

/** Text a token argument is read after: a line break, which every tokenizer keeps apart from the text after it. */
const CONTEXT = "\n";

/**
 * The tokens `text` takes after other text, as a measure's token argument means it: " She" is the one token
 * ▁She (SentencePiece) or ĠShe (byte-level), not a prefix space and then She.
 */
export function tokensInContext(tokenizer: Tokenizer, text: string): number[] {
  const context = tokenizer.encode(CONTEXT, { addBos: false });
  const whole = tokenizer.encode(CONTEXT + text, { addBos: false });
  const extends_ = whole.length >= context.length && context.every((id, i) => whole[i] === id);
  return extends_ ? whole.slice(context.length) : tokenizer.encode(text, { addBos: false });
}

/** The tokens of every token text the plans' metrics name, with their pieces, for the checks and the run. */
export function tokenizeMetricTexts(tokenizer: Tokenizer, plans: readonly BoundPlan[]): TokenizedTexts {
  const metrics = plans.flatMap((plan) => measuresOf(plan.steps).map((measure) => measure.metric));
  const texts = new Set(metrics.flatMap(metricTokens).flatMap((token) => ("text" in token ? [token.text] : [])));
  return new Map(
    [...texts].map((text) => {
      const ids = tokensInContext(tokenizer, text);
      return [text, { ids, pieces: ids.map((id) => tokenizer.piece(id)) }];
    }),
  );
}
