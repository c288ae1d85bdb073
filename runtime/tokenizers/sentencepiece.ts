// The SentencePiece BPE tokenizer of Llama-family models ("llama" in GGUF), built from the vocabulary in the
// model file. Encoding follows llama.cpp's SPM tokenizer:
//
//   1. Each space becomes "▁" (U+2581), and one "▁" is prepended when the vocabulary asks for a space prefix.
//   2. The text is split into characters (code points).
//   3. Repeatedly, of all adjacent symbol pairs whose concatenation is a piece of the vocabulary, the pair whose
//      piece has the highest score is merged (the leftmost on ties).
//   4. Each final symbol becomes its piece's id; a character with no piece becomes the byte-fallback tokens
//      <0xNN> of its UTF-8 bytes.
//
// User text is always literal: control tokens such as "<s>" are never produced from text that spells them.

import { ModelFormatError } from "../errors.js";
import type { GgufFile } from "../formats/gguf.js";
import type { CharSpan, EncodeOptions, Encoding, Tokenizer } from "./tokenizer.js";

export interface DecodeOptions {
  /**
   * Whether `ids` start a sequence, so that the space the encoder's prefix added is removed again (default true).
   * Pass false when decoding a continuation, such as newly generated tokens.
   */
  fromSequenceStart?: boolean;
}

/** GGUF token types (the numbering is SentencePiece's). */
const TokenType = { Normal: 1, Unknown: 2, Control: 3, UserDefined: 4, Unused: 5, Byte: 6 } as const;

const SPACE_MARK = "▁";
const BYTE_TOKEN = /^<0x([0-9A-F]{2})>$/;

export class LlamaTokenizer implements Tokenizer {
  /** Pieces that text can be merged into, by their text. */
  private readonly textPieceIds = new Map<string, number>();
  /** The <0xNN> token of each byte value, where the vocabulary has it. */
  private readonly byteTokenIds: (number | undefined)[] = new Array(256);
  private readonly byteValues = new Map<number, number>();

  private constructor(
    private readonly pieces: readonly string[],
    private readonly scores: readonly number[],
    private readonly types: readonly number[],
    readonly bosId: number,
    readonly eosId: number,
    readonly unknownId: number | undefined,
    readonly addBos: boolean,
    readonly addSpacePrefix: boolean,
  ) {
    pieces.forEach((piece, id) => {
      const type = types[id];
      const byteMatch = type === TokenType.Byte ? BYTE_TOKEN.exec(piece) : null;
      if (byteMatch) {
        const byte = parseInt(byteMatch[1]!, 16);
        this.byteTokenIds[byte] = id;
        this.byteValues.set(id, byte);
      } else if (isTextPiece(type)) {
        this.textPieceIds.set(piece, id);
      }
    });
  }

  static fromGguf(gguf: GgufFile): LlamaTokenizer {
    const fail = (message: string) => new ModelFormatError(message, gguf.fileName);
    const model = gguf.getString("tokenizer.ggml.model");
    if (model !== "llama") throw fail(`tokenizer '${model}' is not supported yet (supported: llama)`);

    const pieces = gguf.getStringArray("tokenizer.ggml.tokens");
    if (pieces.length === 0) throw fail("tokenizer.ggml.tokens is empty");
    const perPiece = (key: string, fallback: number): readonly number[] => {
      if (!gguf.has(key)) return new Array<number>(pieces.length).fill(fallback);
      const values = gguf.getNumberArray(key);
      if (values.length !== pieces.length) {
        throw fail(`${key} has ${values.length} entries but tokenizer.ggml.tokens has ${pieces.length}`);
      }
      return values;
    };
    // The fallbacks are llama.cpp's defaults for SentencePiece vocabularies.
    const tokenId = (key: string, fallback: number): number | undefined => {
      const id = gguf.has(key) ? gguf.getNumber(key) : fallback;
      return Number.isInteger(id) && id >= 0 && id < pieces.length ? id : undefined;
    };
    const requiredTokenId = (key: string, fallback: number): number => {
      const id = tokenId(key, fallback);
      if (id === undefined) throw fail(`${key} is not a token of the ${pieces.length}-token vocabulary`);
      return id;
    };
    const flag = (key: string, fallback: boolean) => (gguf.has(key) ? gguf.getBool(key) : fallback);

    const tokenizer = new LlamaTokenizer(
      pieces,
      perPiece("tokenizer.ggml.scores", 0),
      perPiece("tokenizer.ggml.token_type", TokenType.Normal),
      requiredTokenId("tokenizer.ggml.bos_token_id", 1),
      requiredTokenId("tokenizer.ggml.eos_token_id", 2),
      tokenId("tokenizer.ggml.unknown_token_id", 0),
      flag("tokenizer.ggml.add_bos_token", true),
      flag("tokenizer.ggml.add_space_prefix", true),
    );
    if (!tokenizer.canEncodeAnyCharacter()) {
      throw fail("the vocabulary has neither all 256 byte tokens <0x00>..<0xFF> nor an unknown token");
    }
    return tokenizer;
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  piece(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined)
      throw new RangeError(`token id ${id} is not in the vocabulary of ${this.pieces.length} tokens`);
    return piece;
  }

  /** The token ids of `text`, starting with BOS if `options.addBos` or the model says so. */
  encode(text: string, options?: EncodeOptions): number[] {
    return this.encodeWithSpans(text, options).ids;
  }

  /** Like `encode`, with the span of `text` that each token covers. */
  encodeWithSpans(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const spans: CharSpan[] = [];
    if (options.addBos ?? this.addBos) {
      ids.push(this.bosId);
      spans.push([0, 0]);
    }
    const symbols = this.mergeSymbols(text);
    for (let i = 0; i < symbols.text.length; i = symbols.next[i]!) {
      const span: CharSpan = [symbols.start[i]!, symbols.end[i]!];
      for (const id of this.symbolIds(symbols.text[i]!)) {
        ids.push(id);
        spans.push(span);
      }
    }
    return { ids, spans };
  }

  /**
   * The text of `ids`; decode(encode(text)) === text for any text without U+2581, which encodes like a space.
   * An id outside the vocabulary is a RangeError: ids come from this tokenizer or the model, never from a file.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    let text = "";
    let pendingBytes: number[] = [];
    const flushBytes = () => {
      if (pendingBytes.length === 0) return;
      text += utf8Decoder.decode(new Uint8Array(pendingBytes)); // invalid sequences become U+FFFD
      pendingBytes = [];
    };
    let atFirstText = options.fromSequenceStart ?? true;
    for (const id of ids) {
      const piece = this.pieces[id];
      if (piece === undefined) {
        throw new RangeError(`token id ${id} is not in the vocabulary of ${this.pieces.length} tokens`);
      }
      const byte = this.byteValues.get(id);
      if (byte !== undefined) {
        pendingBytes.push(byte);
        atFirstText = false;
      } else if (isTextPiece(this.types[id])) {
        flushBytes();
        const dropPrefix = atFirstText && this.addSpacePrefix && piece.startsWith(SPACE_MARK);
        text += (dropPrefix ? piece.slice(SPACE_MARK.length) : piece).replaceAll(SPACE_MARK, " ");
        atFirstText = false;
      }
      // Control and unknown tokens (BOS, EOS, <unk>) stand for no text.
    }
    flushBytes();
    return text;
  }
  /**
   * The text that `tokens` add after `promptTokens`, as it reads in the whole sequence: decoding the
   * continuation on its own would drop the space a first token like "▁Once" starts with, or keep one that
   * the prefix rule strips after an empty prompt. A caller that decodes often passes `decode(promptTokens)`.
   */
  decodeContinuation(
    promptTokens: readonly number[],
    tokens: readonly number[],
    promptText: string = this.decode(promptTokens),
  ): string {
    return this.decode([...promptTokens, ...tokens]).slice(promptText.length);
  }

  /** Steps 1–3 of the algorithm: the merged symbols, each with its source span. */
  private mergeSymbols(text: string): SymbolList {
    const symbols: SymbolList = { text: [], start: [], end: [], prev: [], next: [] };
    const append = (symbolText: string, start: number, end: number) => {
      const index = symbols.text.length;
      symbols.text.push(symbolText);
      symbols.start.push(start);
      symbols.end.push(end);
      symbols.prev.push(index - 1);
      symbols.next.push(index + 1);
    };
    if (text.length > 0 && this.addSpacePrefix) append(SPACE_MARK, 0, 0);
    let offset = 0;
    for (const char of text) {
      append(char === " " ? SPACE_MARK : char, offset, offset + char.length);
      offset += char.length;
    }
    const symbolCount = symbols.text.length;

    const candidates = new BinaryHeap<MergeCandidate>(
      (a, b) => a.score > b.score || (a.score === b.score && a.left < b.left),
    );
    const consider = (left: number, right: number) => {
      if (left < 0 || right >= symbolCount) return;
      const merged = symbols.text[left]! + symbols.text[right]!;
      const id = this.textPieceIds.get(merged);
      if (id !== undefined) candidates.push({ left, right, score: this.scores[id]!, text: merged });
    };
    for (let i = 1; i < symbolCount; i++) consider(i - 1, i);

    for (let candidate = candidates.pop(); candidate !== undefined; candidate = candidates.pop()) {
      const { left, right } = candidate;
      // A symbol only ever grows or empties, so a pair whose lengths no longer add up is stale.
      const leftText = symbols.text[left]!;
      const rightText = symbols.text[right]!;
      if (leftText === "" || rightText === "" || leftText.length + rightText.length !== candidate.text.length) continue;
      symbols.text[left] = candidate.text;
      symbols.end[left] = symbols.end[right]!;
      symbols.text[right] = "";
      const after = symbols.next[right]!;
      symbols.next[left] = after;
      if (after < symbolCount) symbols.prev[after] = left;
      consider(symbols.prev[left]!, left);
      consider(left, after);
    }
    return symbols;
  }

  /** Step 4: the ids for one merged symbol. */
  private symbolIds(symbolText: string): number[] {
    const id = this.textPieceIds.get(symbolText);
    if (id !== undefined) return [id];
    // Only single characters can lack a piece: every merge produces one.
    const byteIds = [...utf8Encoder.encode(symbolText)].map((byte) => this.byteTokenIds[byte]);
    if (byteIds.every((byteId) => byteId !== undefined)) return byteIds as number[];
    return [this.unknownId!]; // fromGguf checked that one of the two fallbacks exists
  }

  private canEncodeAnyCharacter(): boolean {
    return this.unknownId !== undefined || this.byteValues.size === 256;
  }
}

/** Pieces that stand for their own text; control, unknown and byte tokens do not. */
function isTextPiece(type: number | undefined): boolean {
  return type !== TokenType.Control && type !== TokenType.Unknown && type !== TokenType.Byte;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // a decoded U+FEFF is text, not a marker

/**
 * Symbols as parallel arrays, linked from index 0 through `next` until an index past the end (prev of the first
 * is -1). A symbol merged into its left neighbour has empty text and is unlinked.
 */
interface SymbolList {
  text: string[];
  start: number[];
  end: number[];
  prev: number[];
  next: number[];
}

interface MergeCandidate {
  readonly left: number;
  readonly right: number;
  readonly score: number;
  readonly text: string;
}

/** A priority queue: `pop` returns the item that comes `before` all others. */
class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  push(item: T): void {
    const { items } = this;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const { items } = this;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < items.length && this.before(items[left]!, items[first]!)) first = left;
      if (right < items.length && this.before(items[right]!, items[first]!)) first = right;
      if (first === i) return top;
      [items[i], items[first]] = [items[first]!, items[i]!];
      i = first;
    }
  }
}
