// Tokenizers from tokenizer.json, run by @huggingface/tokenizers (the library transformers.js uses): byte-level
// BPE (GPT-2, Pythia, Llama 3, Qwen2) and SentencePiece-style BPE with byte fallback (Llama 2, Mistral).
//
// The library gives ids and token strings but no character offsets, so spans come from each token's bytes:
// a byte-level token's characters map back to bytes through GPT-2's byte↔unicode table; a SentencePiece-style
// token is its text with "▁" for a space, or a <0xNN> byte. The tokens' bytes, concatenated, are the text's
// UTF-8 with at most some spaces inserted (a "▁" prefix), so walking the two together places every token.
//
// BOS follows the model's rule: the token the post-processor puts before a sequence, unless tokenizer_config.json
// says otherwise with `add_bos_token`. Encoding never runs the post-processor itself, so no EOS or other suffix is
// added to a prompt.

import { Tokenizer as LibraryTokenizer } from "@huggingface/tokenizers";
import { ModelFormatError } from "../errors.js";
import type { CharSpan, EncodeOptions, Encoding, Tokenizer } from "./tokenizer.js";

/** The parts of tokenizer.json and tokenizer_config.json read here besides what the library reads. */
export interface HfTokenizerFiles {
  readonly tokenizer: Record<string, unknown>;
  readonly config?: Record<string, unknown>;
  /** config.json's ids, the fallback for models whose tokenizer files name no BOS or EOS. */
  readonly modelIds?: { readonly bos?: number; readonly eos?: number };
  /** Named in errors. */
  readonly file: string;
}

/** What the library's encode returns; its own declaration of this type does not resolve under NodeNext. */
interface LibraryEncoding {
  readonly ids: number[];
  readonly tokens: string[];
}

const utf8Encoder = new TextEncoder();

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number;
  readonly addBos: boolean;
  private readonly addedTokenIds: ReadonlySet<number>;
  private readonly tokenBytes: (token: string) => Uint8Array;
  private readonly prefixSpace: PrefixSpace;

  private constructor(
    private readonly library: LibraryTokenizer,
    files: HfTokenizerFiles,
  ) {
    const fail = (message: string) => new ModelFormatError(message, files.file);
    const vocab = library.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    if (maxId < 0) throw fail("the vocabulary is empty");
    this.vocabSize = maxId + 1;
    this.addedTokenIds = new Set(library.get_added_tokens_decoder().keys());
    this.tokenBytes = usesByteLevel(files.tokenizer) ? byteLevelBytes : pieceBytes;
    this.prefixSpace = prefixSpaceOf(files.tokenizer);

    const configToken = (key: string): number | undefined => {
      const value = files.config?.[key];
      const content = typeof value === "string" ? value : (value as { content?: unknown } | null | undefined)?.content;
      if (typeof content !== "string") return undefined;
      const id = library.token_to_id(content);
      if (id === undefined) throw fail(`${key} '${content}' of tokenizer_config.json is not in the vocabulary`);
      return id;
    };
    const postProcessorBos = this.postProcessorPrefix();
    this.bosId = postProcessorBos ?? configToken("bos_token") ?? files.modelIds?.bos;
    const addBosSetting = files.config?.["add_bos_token"];
    this.addBos = typeof addBosSetting === "boolean" ? addBosSetting : postProcessorBos !== undefined;
    if (this.addBos && this.bosId === undefined) throw fail("add_bos_token is true but no BOS token is named");
    const eosId = configToken("eos_token") ?? files.modelIds?.eos;
    if (eosId === undefined) {
      throw fail("no end-of-text token: tokenizer_config.json names no eos_token and config.json no eos_token_id");
    }
    this.eosId = eosId;
  }

  static fromFiles(files: HfTokenizerFiles): HfTokenizer {
    let library: LibraryTokenizer;
    try {
      library = new LibraryTokenizer({ added_tokens: [], ...files.tokenizer }, files.config ?? {});
    } catch (error) {
      throw new ModelFormatError(`not a usable tokenizer: ${(error as Error).message}`, files.file);
    }
    return new HfTokenizer(library, files);
  }

  piece(id: number): string {
    const piece = Number.isInteger(id) ? this.library.id_to_token(id) : undefined;
    if (piece === undefined)
      throw new RangeError(`token id ${id} is not in the vocabulary of ${this.vocabSize} tokens`);
    return piece;
  }

  encode(text: string, options?: EncodeOptions): number[] {
    return this.encodeWithSpans(text, options).ids;
  }

  encodeWithSpans(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const spans: CharSpan[] = [];
    if (options.addBos ?? this.addBos) {
      ids.push(this.bosId!);
      spans.push([0, 0]);
    }
    if (text === "") return { ids, spans };
    const encoded: LibraryEncoding = this.library.encode(text, { add_special_tokens: false });
    const inserted = this.prefixSpace === "always" || (this.prefixSpace === "unless-space" && !text.startsWith(" "));
    const aligner = new ByteAligner(text, inserted);
    encoded.ids.forEach((id, i) => {
      const token = encoded.tokens[i]!;
      const bytes = this.addedTokenIds.has(id) ? utf8Encoder.encode(token) : this.tokenBytes(token);
      ids.push(id);
      spans.push(aligner.place(bytes));
    });
    return { ids, spans };
  }

  /** The text of `ids`, special tokens left out and spacing exactly as the tokens have it. */
  decode(ids: readonly number[]): string {
    for (const id of ids) this.piece(id);
    if (ids.length === 0) return "";
    return this.library.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  decodeContinuation(
    promptTokens: readonly number[],
    tokens: readonly number[],
    promptText: string = this.decode(promptTokens),
  ): string {
    const whole = this.decode([...promptTokens, ...tokens]);
    // Decoders that strip a sequence's leading space keep the prompt's text a prefix of the whole; where a
    // decoder's output of the prompt is not, the continuation decodes on its own.
    return whole.startsWith(promptText) ? whole.slice(promptText.length) : this.decode(tokens);
  }

  /** The one token the post-processor puts before a sequence, if it does. */
  private postProcessorPrefix(): number | undefined {
    const probe = "a";
    const plain: number[] = this.library.encode(probe, { add_special_tokens: false }).ids;
    const processed: number[] = this.library.encode(probe, { add_special_tokens: true }).ids;
    // The post-processor may also add a suffix (an EOS); the prefix is what comes before the plain tokens.
    for (let start = 0; start + plain.length <= processed.length; start++) {
      if (plain.every((id, i) => processed[start + i] === id)) return start === 1 ? processed[0] : undefined;
    }
    return undefined;
  }
}

/** Whether any part of the pipeline is byte-level, which makes every token's characters stand for bytes. */
/**
 * Whether encoding puts a space before the text that the text lacks: the Prepend normalizer (Llama 2's "▁")
 * always does; Metaspace and ByteLevel with a prefix space do unless the text starts with one.
 */
type PrefixSpace = "always" | "unless-space" | "never";

function prefixSpaceOf(tokenizer: Record<string, unknown>): PrefixSpace {
  let rule: PrefixSpace = "never";
  const visit = (component: unknown, role: "normalizer" | "pre_tokenizer"): void => {
    if (typeof component !== "object" || component === null) return;
    const c = component as Record<string, unknown>;
    if (c["type"] === "Sequence") {
      const parts = c[role === "normalizer" ? "normalizers" : "pretokenizers"];
      if (Array.isArray(parts)) for (const part of parts) visit(part, role);
    } else if (role === "normalizer" && c["type"] === "Prepend" && c["prepend"] === "▁") {
      rule = "always";
    } else if (role === "pre_tokenizer" && rule === "never") {
      const metaspacePrefix =
        c["type"] === "Metaspace" &&
        (c["prepend_scheme"] === undefined ? c["add_prefix_space"] !== false : c["prepend_scheme"] !== "never");
      if (metaspacePrefix || (c["type"] === "ByteLevel" && c["add_prefix_space"] === true)) rule = "unless-space";
    }
  };
  visit(tokenizer["normalizer"], "normalizer");
  visit(tokenizer["pre_tokenizer"], "pre_tokenizer");
  return rule;
}

function usesByteLevel(tokenizer: Record<string, unknown>): boolean {
  const isByteLevel = (component: unknown): boolean => {
    if (typeof component !== "object" || component === null) return false;
    const { type, pretokenizers, decoders } = component as {
      type?: unknown;
      pretokenizers?: unknown;
      decoders?: unknown;
    };
    if (type === "ByteLevel") return true;
    const parts = [pretokenizers, decoders].filter(Array.isArray).flat() as unknown[];
    return parts.some(isByteLevel);
  };
  return isByteLevel(tokenizer["pre_tokenizer"]) || isByteLevel(tokenizer["decoder"]);
}

/** GPT-2's table: printable Latin-1 bytes stand for themselves, the other 68 bytes for U+0100 onwards in order. */
const BYTE_OF_CHAR: ReadonlyMap<number, number> = (() => {
  const map = new Map<number, number>();
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    map.set(printable ? byte : next++, byte);
  }
  return map;
})();

function byteLevelBytes(token: string): Uint8Array {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const byte = BYTE_OF_CHAR.get(token.charCodeAt(i));
    if (byte === undefined) return utf8Encoder.encode(token); // not a byte-level piece (an unknown token)
    bytes[i] = byte;
  }
  return bytes;
}

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

function pieceBytes(token: string): Uint8Array {
  const byte = BYTE_FALLBACK.exec(token);
  if (byte) return Uint8Array.of(parseInt(byte[1]!, 16));
  return utf8Encoder.encode(token.replaceAll("▁", " "));
}

/**
 * Walks the tokens' bytes along the text's UTF-8. A token covers the characters its bytes lie in; a space the
 * tokenizer inserted covers nothing, and a token of nothing but inserted bytes has an empty span where it stands.
 */
class ByteAligner {
  private readonly bytes: Uint8Array;
  /** For each byte of the text: the UTF-16 offsets of the character it belongs to. */
  private readonly charStart: Uint32Array;
  private readonly charEnd: Uint32Array;
  private at = 0;

  /** `insertedSpace`: the tokens begin with a space that stands for no character of the text. */
  constructor(
    private readonly text: string,
    private insertedSpace: boolean,
  ) {
    this.bytes = utf8Encoder.encode(text);
    this.charStart = new Uint32Array(this.bytes.length);
    this.charEnd = new Uint32Array(this.bytes.length);
    let byte = 0;
    let offset = 0;
    for (const char of text) {
      const width = utf8Encoder.encode(char).length;
      this.charStart.fill(offset, byte, byte + width);
      this.charEnd.fill(offset + char.length, byte, byte + width);
      byte += width;
      offset += char.length;
    }
  }

  place(tokenBytes: Uint8Array): CharSpan {
    let first = -1;
    let last = -1;
    for (const byte of tokenBytes) {
      if (this.insertedSpace) {
        this.insertedSpace = false;
        if (byte === 0x20) continue;
      }
      if (this.at < this.bytes.length && this.bytes[this.at] === byte) {
        if (first < 0) first = this.at;
        last = this.at++;
      } else if (byte !== 0x20) {
        throw new ModelFormatError(
          `the tokenizer changes the text it encodes (at character ${this.charStart[this.at] ?? this.text.length}), ` +
            "so token positions in the text cannot be found",
        );
      }
    }
    if (first < 0) {
      const here = this.at < this.bytes.length ? this.charStart[this.at]! : this.text.length;
      return [here, here];
    }
    return [this.charStart[first]!, this.charEnd[last]!];
  }
}
