import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../runtime/errors.js";
import { type GgufValue, loadGguf, readGguf } from "../runtime/formats/gguf.js";
import { LlamaTokenizer } from "../runtime/tokenizers/sentencepiece.js";
import { gv, writeGguf } from "./support/gguf-writer.js";

const MODEL_PATH = fileURLToPath(new URL("../models/stories260K/stories260K.gguf", import.meta.url));
const BOS = 1;
const EOS = 2;

// Expected ids (without BOS) for stories260K. Derived independently of this code base: SentencePiece 0.1.97
// (Debian's python3-sentencepiece) loaded a BPE model built from the GGUF vocabulary, configured like Llama 2's
// tokenizer.model (byte fallback, dummy prefix, no whitespace collapsing, identity normalisation); see
// test/support/spm_expected_ids.py. The first entry also equals llama.cpp's published tokenization (models/stories260K).
const EXPECTED_IDS: [string, number[]][] = [
  [
    "Once upon a time, there was a little girl named Lily.",
    [403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426],
  ],
  ["Hello world", [346, 306, 414, 263, 304, 341]],
  [
    'Tim said, "Let\'s play!" She smiled.',
    [326, 336, 432, 313, 438, 316, 439, 419, 337, 443, 436, 338, 262, 423, 290, 266, 426],
  ],
  [
    "I have 3 apples, 42 pears and 1,000 grapes.",
    [
      359, 300, 360, 410, 472, 261, 339, 305, 419, 432, 410, 484, 479, 282, 411, 295, 419, 269, 410, 475, 432, 477, 477,
      477, 298, 420, 412, 427, 406, 426,
    ],
  ],
  ["café naïve", [280, 412, 431, 485, 297, 412, 198, 178, 360]],
  ["Lily saw a 🐶.", [317, 394, 261, 410, 243, 162, 147, 185, 426]],
  [" one leading space", [410, 353, 411, 278, 411, 380, 299, 262, 427, 412, 331]],
  ["  two leading spaces", [410, 410, 259, 424, 414, 278, 411, 380, 299, 262, 427, 412, 331, 419]],
  ["a  b   c", [261, 410, 268, 410, 410, 280]],
  ["trailing space ", [259, 420, 412, 290, 299, 262, 427, 412, 331, 410]],
  ["line one\nline two", [278, 271, 411, 353, 411, 13, 421, 271, 411, 259, 424, 414]],
  ["\ttab", [410, 12, 413, 412, 430]],
  [
    "Ünïcödé – “quotes” … ™",
    [
      410, 198, 159, 416, 198, 178, 429, 198, 185, 418, 485, 410, 476, 410, 465, 456, 425, 309, 406, 466, 410, 486, 410,
      507,
    ],
  ],
  ["日本語", [410, 233, 154, 168, 233, 159, 175, 235, 173, 161]],
  ["non\u00a0breaking", [297, 289, 498, 430, 276, 412, 433, 299]],
  ["<s> is not special", [410, 504, 419, 505, 410, 293, 297, 309, 262, 427, 411, 429, 417, 412, 421]],
  ["", []],
];

/** A tokenizer over a hand-made vocabulary; `pieces` are [text, score] and get type NORMAL unless given. */
function tokenizerFor(pieces: [string, number, number?][], metadata: Record<string, GgufValue> = {}): LlamaTokenizer {
  const gguf = readGguf(
    writeGguf({
      metadata: {
        "tokenizer.ggml.model": gv.str("llama"),
        "tokenizer.ggml.tokens": gv.array(
          "string",
          pieces.map(([text]) => text),
        ),
        "tokenizer.ggml.scores": gv.array(
          "float32",
          pieces.map(([, score]) => score),
        ),
        "tokenizer.ggml.token_type": gv.array(
          "int32",
          pieces.map(([, , type]) => type ?? 1),
        ),
        ...metadata,
      },
    }),
    "vocab.gguf",
  );
  return LlamaTokenizer.fromGguf(gguf);
}

/** <unk>, <s>, </s> and the 256 byte tokens, as at the start of a Llama vocabulary. */
const SPECIAL_AND_BYTE_PIECES: [string, number, number][] = [
  ["<unk>", 0, 2],
  ["<s>", 0, 3],
  ["</s>", 0, 3],
  ...Array.from({ length: 256 }, (_, byte): [string, number, number] => [
    `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`,
    0,
    6,
  ]),
];

describe("LlamaTokenizer on stories260K", () => {
  let tokenizer: LlamaTokenizer;
  beforeAll(async () => {
    tokenizer = LlamaTokenizer.fromGguf(await loadGguf(MODEL_PATH));
  });

  it("reads the vocabulary and special tokens", () => {
    expect(tokenizer.vocabSize).toBe(512);
    expect(tokenizer.bosId).toBe(BOS);
    expect(tokenizer.eosId).toBe(EOS);
    expect(tokenizer.addBos).toBe(true);
    expect(tokenizer.addSpacePrefix).toBe(true);
  });

  it.each(EXPECTED_IDS)("encodes %j like SentencePiece and llama.cpp", (text, ids) => {
    expect(tokenizer.encode(text, { addBos: false })).toEqual(ids);
    expect(tokenizer.encode(text)).toEqual([BOS, ...ids]);
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it("round-trips arbitrary text", () => {
    // U+2581 is excluded: the encoder cannot tell it from an escaped space (true of llama.cpp and SentencePiece too).
    const anyText = fc.string({ unit: "binary", maxLength: 40 }).filter((text) => !text.includes("▁"));
    fc.assert(
      fc.property(anyText, (text) => tokenizer.decode(tokenizer.encode(text)) === text),
      { numRuns: 2000 },
    );
  });

  it("round-trips text made of vocabulary pieces", () => {
    const pieceTexts = Array.from({ length: 512 - 259 }, (_, i) =>
      tokenizer.decode([259 + i], { fromSequenceStart: false }),
    );
    const pieceText = fc
      .array(fc.constantFrom(...pieceTexts, " ", "  ", "\n", "é", "🐶"), { maxLength: 20 })
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(pieceText, (text) => tokenizer.decode(tokenizer.encode(text)) === text),
      { numRuns: 2000 },
    );
  });

  it("decodes special tokens to nothing and byte tokens to UTF-8", () => {
    expect(tokenizer.decode([BOS, 403, 407, EOS])).toBe("Once upon");
    expect(tokenizer.decode([243, 162, 147, 185])).toBe("🐶");
    expect(tokenizer.decode([243, 162])).toBe("\uFFFD"); // half a character
    expect(tokenizer.decode([])).toBe("");
    expect(() => tokenizer.decode([512])).toThrow(RangeError);
  });

  it("keeps the leading space of a continuation", () => {
    expect(tokenizer.decode([403])).toBe("Once");
    expect(tokenizer.decode([403], { fromSequenceStart: false })).toBe(" Once");
    expect(tokenizer.decode([410, 403])).toBe(" Once"); // only the prefix's one space is removed
  });

  it("maps tokens back to the characters they cover", () => {
    const text = "Once upon a time, there was a little girl named Lily.";
    const { ids, spans } = tokenizer.encodeWithSpans(text);
    expect(ids).toEqual([BOS, ...EXPECTED_IDS[0]![1]]);
    expect(spans.map(([start, end]) => text.slice(start, end))).toEqual([
      "",
      "Once",
      " upon",
      " a",
      " time",
      ",",
      " there",
      " was",
      " a",
      " little",
      " g",
      "ir",
      "l",
      " named",
      " Lily",
      ".",
    ]);
    expect(spans[0]).toEqual([0, 0]); // BOS
    expect(spans[1]).toEqual([0, 4]); // the prefix "▁" belongs to no character
  });

  it("gives all byte tokens of one character that character's span", () => {
    const text = "a 🐶 é";
    const { ids, spans } = tokenizer.encodeWithSpans(text, { addBos: false });
    expect(ids).toEqual([261, 410, 243, 162, 147, 185, 410, 485]);
    expect(spans).toEqual([
      [0, 1],
      [1, 2],
      [2, 4],
      [2, 4],
      [2, 4],
      [2, 4],
      [4, 5],
      [5, 6],
    ]);
  });

  it("gives a lone prefix an empty span", () => {
    const { ids, spans } = tokenizer.encodeWithSpans(" one", { addBos: false });
    expect(ids).toEqual([410, 353, 411]);
    expect(spans).toEqual([
      [0, 0],
      [0, 3],
      [3, 4],
    ]);
  });
});

describe("LlamaTokenizer merges", () => {
  it("merges the highest-scoring pair first", () => {
    const tokenizer = tokenizerFor(
      [...SPECIAL_AND_BYTE_PIECES, ["a", -1], ["b", -1], ["c", -1], ["ab", -5], ["bc", -2]],
      {
        "tokenizer.ggml.add_space_prefix": gv.bool(false),
      },
    );
    expect(tokenizer.encode("abc", { addBos: false })).toEqual([259, 263]); // a + bc
  });

  it("breaks score ties by taking the leftmost pair", () => {
    const tokenizer = tokenizerFor([...SPECIAL_AND_BYTE_PIECES, ["a", -1], ["ab", -3], ["ba", -3]], {
      "tokenizer.ggml.add_space_prefix": gv.bool(false),
    });
    expect(tokenizer.encode("aba", { addBos: false })).toEqual([260, 259]); // ab + a
    expect(tokenizer.encode("abab", { addBos: false })).toEqual([260, 260]);
    expect(tokenizer.encode("xaby", { addBos: false })).toEqual([123, 260, 124]); // byte fallback for x and y
  });

  it("never merges into control pieces", () => {
    const tokenizer = tokenizerFor([...SPECIAL_AND_BYTE_PIECES, ["<", 0], ["s", 0], [">", 0], ["<s", -1]], {
      "tokenizer.ggml.add_space_prefix": gv.bool(false),
    });
    expect(tokenizer.encode("<s>", { addBos: false })).toEqual([262, 261]);
    expect(tokenizer.decode([262, 261])).toBe("<s>");
  });

  it("honours add_bos_token and add_space_prefix", () => {
    const pieces: [string, number][] = [
      ["▁", -1],
      ["a", -1],
      ["▁a", -1],
    ];
    const plain = tokenizerFor([...SPECIAL_AND_BYTE_PIECES, ...pieces]);
    expect(plain.encode("a")).toEqual([BOS, 261]);
    const noPrefix = tokenizerFor([...SPECIAL_AND_BYTE_PIECES, ...pieces], {
      "tokenizer.ggml.add_bos_token": gv.bool(false),
      "tokenizer.ggml.add_space_prefix": gv.bool(false),
    });
    expect(noPrefix.addBos).toBe(false);
    expect(noPrefix.encode("a a")).toEqual([260, 261]);
    expect(noPrefix.encode("a", { addBos: true })).toEqual([BOS, 260]);
    expect(noPrefix.decode(noPrefix.encode(" a"))).toBe(" a");
  });

  it("falls back to the unknown token without byte tokens", () => {
    const tokenizer = tokenizerFor([
      ["<unk>", 0, 2],
      ["<s>", 0, 3],
      ["</s>", 0, 3],
      ["▁", -1],
      ["a", -1],
    ]);
    expect(tokenizer.encode("a é", { addBos: false })).toEqual([3, 4, 3, 0]);
  });
});

describe("LlamaTokenizer.fromGguf", () => {
  function problem(metadata: Record<string, GgufValue>): string {
    const gguf = readGguf(writeGguf({ metadata }), "vocab.gguf");
    try {
      LlamaTokenizer.fromGguf(gguf);
    } catch (error) {
      expect(error).toBeInstanceOf(ModelFormatError);
      expect((error as ModelFormatError).file).toBe("vocab.gguf");
      return (error as Error).message;
    }
    throw new Error("expected a ModelFormatError");
  }
  const tokens = gv.array("string", ["<unk>", "<s>", "</s>", "a"]);

  it("rejects vocabularies it cannot use", () => {
    expect(problem({ "tokenizer.ggml.model": gv.str("gpt2"), "tokenizer.ggml.tokens": tokens })).toBe(
      "tokenizer 'gpt2' is not supported yet (supported: llama)",
    );
    expect(problem({ "tokenizer.ggml.model": gv.str("llama") })).toBe("missing metadata key 'tokenizer.ggml.tokens'");
    expect(
      problem({
        "tokenizer.ggml.model": gv.str("llama"),
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.scores": gv.array("float32", [0]),
      }),
    ).toBe("tokenizer.ggml.scores has 1 entries but tokenizer.ggml.tokens has 4");
    expect(
      problem({
        "tokenizer.ggml.model": gv.str("llama"),
        "tokenizer.ggml.tokens": tokens,
        "tokenizer.ggml.eos_token_id": gv.u32(9),
      }),
    ).toBe("tokenizer.ggml.eos_token_id is not a token of the 4-token vocabulary");
  });
});
