import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError, ModelNotFoundError } from "../runtime/errors.js";
import { type GgufFile, type GgufValue, halfToFloat, loadGguf, readGguf } from "../runtime/formats/gguf.js";
import { ByteSink, floatToHalfBits, gv, writeGguf } from "./support/gguf-writer.js";

const MODEL_PATH = fileURLToPath(new URL("../models/stories260K/stories260K.gguf", import.meta.url));

/** Runs `read` and returns the ModelFormatError it must throw; any other outcome fails the test. */
function formatError(read: () => unknown): ModelFormatError {
  try {
    read();
  } catch (error) {
    if (error instanceof ModelFormatError) return error;
    throw new Error(`expected a ModelFormatError, got ${String(error)}`);
  }
  throw new Error("expected a ModelFormatError, but reading succeeded");
}

/** Every metadata value type, nested arrays and edge values included. */
const ALL_VALUE_TYPES: Record<string, GgufValue> = {
  "t.uint8": { type: "uint8", value: 255 },
  "t.int8": { type: "int8", value: -128 },
  "t.uint16": { type: "uint16", value: 65535 },
  "t.int16": { type: "int16", value: -32768 },
  "t.uint32": { type: "uint32", value: 4294967295 },
  "t.int32": { type: "int32", value: -2147483648 },
  "t.float32": { type: "float32", value: Math.fround(1e-5) },
  "t.bool.true": { type: "bool", value: true },
  "t.bool.false": { type: "bool", value: false },
  "t.string": { type: "string", value: "\uFEFFcafé 🐶 ▁x" },
  "t.string.empty": { type: "string", value: "" },
  "t.uint64": { type: "uint64", value: 2n ** 64n - 1n },
  "t.int64": { type: "int64", value: -(2n ** 63n) },
  "t.float64": { type: "float64", value: Math.PI },
  "t.array.strings": gv.array("string", ["<unk>", "▁the", ""]),
  "t.array.float32": gv.array("float32", [0, -1.5, Infinity]),
  "t.array.empty": gv.array("int32", []),
  "t.array.bools": gv.array("bool", [true, false]),
  "t.array.int64": gv.array("int64", [-1n, 2n ** 53n - 1n]),
  "t.array.uint64": gv.array("uint64", [0n, 2n ** 53n]),
  "t.array.nested": gv.array("array", [gv.array("uint8", [1, 2]), gv.array("array", [gv.array("string", ["deep"])])]),
};

describe("the bundled stories260K model", () => {
  let model: GgufFile;
  beforeAll(async () => {
    model = await loadGguf(MODEL_PATH);
  });

  it("has the documented metadata", () => {
    expect(model.version).toBe(3);
    expect(model.alignment).toBe(32);
    expect(model.fileName).toBe(MODEL_PATH);
    expect(model.getString("general.architecture")).toBe("llama");
    expect(model.getNumber("llama.block_count")).toBe(5);
    expect(model.getNumber("llama.embedding_length")).toBe(64);
    expect(model.getNumber("llama.feed_forward_length")).toBe(172);
    expect(model.getNumber("llama.attention.head_count")).toBe(8);
    expect(model.getNumber("llama.attention.head_count_kv")).toBe(4);
    expect(model.getNumber("llama.attention.layer_norm_rms_epsilon")).toBe(Math.fround(1e-5));
    expect(model.getString("tokenizer.ggml.model")).toBe("llama");
    const tokens = model.getStringArray("tokenizer.ggml.tokens");
    expect(tokens).toHaveLength(512);
    expect(tokens.slice(0, 4)).toEqual(["<unk>", "<s>", "</s>", "<0x00>"]);
    expect(model.getNumberArray("tokenizer.ggml.scores")).toHaveLength(512);
  });

  it("has the documented tensors", () => {
    expect(model.tensors.size).toBe(3 + 5 * 9);
    expect(model.tensors.has("output.weight")).toBe(true);
    const embedding = model.tensorInfo("token_embd.weight");
    expect(embedding).toMatchObject({
      dims: [64, 512],
      elementCount: 64 * 512,
      typeName: "F32",
      byteLength: 64 * 512 * 4,
    });
    expect(model.tensorInfo("blk.4.ffn_down.weight").dims).toEqual([172, 64]);
    expect(model.tensorInfo("blk.0.attn_k.weight").dims).toEqual([64, 32]);
    for (const tensor of model.tensors.values()) expect(tensor.byteOffset % 32).toBe(0);
  });

  it("decodes f32 tensor data", () => {
    const embedding = model.tensorF32("token_embd.weight", [64, 512]);
    expect(embedding).toHaveLength(64 * 512);
    expect(embedding.every(Number.isFinite)).toBe(true);
    expect(embedding.some((x) => x !== 0)).toBe(true);
    const norm = model.tensorF32("output_norm.weight");
    expect(norm.every((x) => x > 0)).toBe(true); // RMSNorm gains of a trained model
  });

  it("reports missing keys, wrong types, missing tensors and wrong shapes as ModelFormatError", () => {
    expect(formatError(() => model.getNumber("llama.nope")).message).toBe("missing metadata key 'llama.nope'");
    expect(formatError(() => model.getNumber("general.architecture")).message).toBe(
      "metadata key 'general.architecture' is string 'llama', expected a number",
    );
    expect(formatError(() => model.getString("llama.block_count")).message).toBe(
      "metadata key 'llama.block_count' is uint32 5, expected a string",
    );
    expect(formatError(() => model.getStringArray("tokenizer.ggml.scores")).message).toBe(
      "metadata key 'tokenizer.ggml.scores' is array of float32 (512 items), expected an array of strings",
    );
    const missing = formatError(() => model.tensorF32("blk.9.attn_q.weight"));
    expect(missing.message).toBe("missing tensor 'blk.9.attn_q.weight'");
    expect(missing.file).toBe(MODEL_PATH);
    expect(formatError(() => model.tensorF32("token_embd.weight", [512, 64])).message).toBe(
      "tensor 'token_embd.weight' has shape [64, 512], expected [512, 64]",
    );
  });
});

describe("loadGguf", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ptch-gguf-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("turns a missing file into a ModelNotFoundError and an unreadable one into a ModelFormatError, naming the file", async () => {
    const file = path.join(dir, "absent.gguf");
    const error = await loadGguf(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ message: "cannot read model file: no such file or directory", file });
    await expect(loadGguf(dir)).rejects.toThrow(ModelFormatError);
    await expect(loadGguf(dir)).rejects.toThrow("cannot read model file: is a directory");
  });
});

describe("metadata round trip", () => {
  for (const version of [2, 3] as const) {
    it(`reads back every value type from a v${version} file`, () => {
      const gguf = readGguf(writeGguf({ version, metadata: ALL_VALUE_TYPES }), "test.gguf");
      expect(gguf.version).toBe(version);
      expect(gguf.fileName).toBe("test.gguf");
      expect([...gguf.metadata]).toEqual(Object.entries(ALL_VALUE_TYPES));
      expect(gguf.tensors.size).toBe(0);
    });
  }

  it("converts numbers for the typed getters", () => {
    const gguf = readGguf(writeGguf({ metadata: ALL_VALUE_TYPES }));
    expect(gguf.getNumber("t.int8")).toBe(-128);
    expect(gguf.getNumber("t.float64")).toBe(Math.PI);
    expect(gguf.getBool("t.bool.true")).toBe(true);
    expect(gguf.getNumberArray("t.array.int64")).toEqual([-1, 2 ** 53 - 1]);
    expect(gguf.getNumberArray("t.array.empty")).toEqual([]);
    // 64-bit values that a number cannot hold exactly are refused rather than rounded.
    expect(formatError(() => gguf.getNumber("t.uint64")).message).toBe(
      "metadata key 't.uint64' is uint64 18446744073709551615, expected a number",
    );
    expect(formatError(() => gguf.getNumberArray("t.array.uint64")).message).toMatch(/is array of uint64/);
    expect(formatError(() => gguf.getNumberArray("t.array.bools")).message).toMatch(/is array of bool/);
  });
});

describe("tensor data", () => {
  it("reads f32 and f16 tensors with their shapes, each at an aligned offset", () => {
    const matrix = Float32Array.from({ length: 6 }, (_, i) => i * 0.25 - 1);
    const halves = [0, -0, 1, -2.5, 65504, 2 ** -24, 2 ** -14 - 2 ** -24, Infinity, -Infinity];
    for (const alignment of [1, 32, 64]) {
      const bytes = writeGguf({
        metadata: alignment === 32 ? {} : { "general.alignment": gv.u32(alignment) },
        tensors: [
          { name: "odd", dims: [3], type: "F16", values: [1, 2, 3] },
          { name: "matrix", dims: [3, 2], type: "F32", values: matrix },
          { name: "halves", dims: [halves.length], type: "F16", values: halves },
          { name: "empty", dims: [0, 4], type: "F32", values: [] },
        ],
      });
      const gguf = readGguf(bytes);
      expect(gguf.alignment).toBe(alignment);
      expect([...gguf.tensors.keys()]).toEqual(["odd", "matrix", "halves", "empty"]);
      for (const tensor of gguf.tensors.values()) expect(tensor.byteOffset % alignment).toBe(0);
      expect(gguf.tensorInfo("matrix")).toMatchObject({ dims: [3, 2], typeName: "F32", elementCount: 6 });
      expect(gguf.tensorF32("matrix")).toEqual(matrix);
      expect([...gguf.tensorF32("halves")]).toEqual(halves);
      expect([...gguf.tensorF32("odd")]).toEqual([1, 2, 3]);
      expect(gguf.tensorF32("empty")).toHaveLength(0);
    }
  });

  it("decodes every f16 bit pattern class exactly", () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x3c00, 1],
      [0x3555, 0.333251953125],
      [0xc000, -2],
      [0x7bff, 65504],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const data = new ByteSink();
    for (const [bits] of cases) data.view(2).setUint16(0, bits, true);
    data.view(2).setUint16(0, 0x7e01, true); // a NaN
    const gguf = readGguf(
      writeGguf({ tensors: [{ name: "h", dims: [cases.length + 1], type: 1, bytes: data.finish() }] }),
    );
    const values = [...gguf.tensorF32("h")];
    expect(values.slice(0, cases.length)).toEqual(cases.map(([, value]) => value));
    expect(values[cases.length]).toBeNaN();
    for (const [bits, value] of cases) expect(Object.is(halfToFloat(bits), value)).toBe(true);
  });

  it("writes halves that decode to the nearest binary16", () => {
    // The writer's f16 encoder is test support; check it against the reader's decoder on every bit pattern.
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToFloat(bits);
      if (!Number.isNaN(value)) expect(floatToHalfBits(value)).toBe(bits);
    }
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(floatToHalfBits(1e6)).toBe(0x7c00);
    expect(floatToHalfBits(2 ** -26)).toBe(0);
  });

  it("names the type of tensors it cannot decode yet", () => {
    const gguf = readGguf(
      writeGguf({
        tensors: [{ name: "blk.0.attn_q.weight", dims: [256, 2], type: 10, bytes: new Uint8Array(2 * 84) }],
      }),
    );
    expect(gguf.tensorInfo("blk.0.attn_q.weight")).toMatchObject({ typeName: "Q2_K", byteLength: 168 });
    expect(formatError(() => gguf.tensorF32("blk.0.attn_q.weight")).message).toBe(
      "tensor 'blk.0.attn_q.weight' has type Q2_K, which this runtime cannot read yet " +
        "(supported: F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, BF16)",
    );
  });
});

describe("malformed files", () => {
  const small = writeGguf({
    metadata: {
      "general.architecture": gv.str("llama"),
      "t.nested": ALL_VALUE_TYPES["t.array.nested"]!,
      "t.u64": gv.u64(7n),
    },
    tensors: [
      { name: "a", dims: [2, 2], type: "F32", values: [1, 2, 3, 4] },
      { name: "b", dims: [3], type: "F16", values: [1, 2, 3] },
    ],
  });

  /** A file header by hand: magic, version, tensor count, metadata count. */
  function header(tensorCount: number | bigint, metadataCount: number | bigint, version = 3): ByteSink {
    const out = new ByteSink();
    out.bytes(new TextEncoder().encode("GGUF"));
    out.u32(version);
    out.u64(tensorCount);
    out.u64(metadataCount);
    return out;
  }

  /** A file with one tensor info as given and `dataBytes` bytes of data after the aligned data start. */
  function oneTensor(
    name: string,
    dims: (number | bigint)[],
    type: number,
    offset: number | bigint,
    dataBytes: number,
  ) {
    const out = header(1, 0);
    out.string(name);
    out.u32(dims.length);
    for (const dim of dims) out.u64(dim);
    out.u32(type);
    out.u64(offset);
    out.padTo(32);
    out.view(dataBytes);
    return out.finish();
  }

  it("reads the intact file", () => {
    expect(readGguf(small).tensorF32("b")).toEqual(Float32Array.from([1, 2, 3]));
  });

  it("rejects every truncation of a valid file", () => {
    for (let length = 0; length < small.length; length++) {
      expect(formatError(() => readGguf(small.subarray(0, length))).message).toMatch(/^(truncated|not a GGUF file)/);
    }
  });

  it("explains what is wrong", () => {
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), "not a GGUF file (the file is empty)"],
      [new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0]), "not a GGUF file (magic is 'PK\\x03\\x04')"],
      [new TextEncoder().encode("GG"), "truncated: the file has only 2 bytes"],
      [header(0, 0, 1).finish(), "GGUF version 1 is not supported (only versions 2 and 3)"],
      [header(0, 0, 4).finish(), "unsupported GGUF version 4 (only versions 2 and 3)"],
      [header(0, 0, 0x03000000).finish(), "big-endian GGUF files are not supported"],
      [
        small.subarray(0, small.length - 1),
        `truncated: tensor 'b' data ends at byte ${small.length} but the file has ${small.length - 1} bytes`,
      ],
      [
        oneTensor("blk.0.attn_q.weight", [4, 4], 0, 0, 60),
        "truncated: tensor 'blk.0.attn_q.weight' data ends at byte 160 but the file has 156 bytes",
      ],
      [oneTensor("x", [4], 0, 8, 64), "corrupt: tensor 'x' has data offset 8, not a multiple of the alignment 32"],
      [oneTensor("x", [4], 200, 0, 64), "corrupt: tensor 'x' has unknown ggml type id 200"],
      [
        oneTensor("x", [16, 2], 8, 0, 64),
        "corrupt: tensor 'x' has type Q8_0 but its first dimension 16 is not a multiple of 32",
      ],
      [oneTensor("x", [1, 1, 1, 1, 1], 0, 0, 64), "corrupt: tensor 'x' has 5 dimensions (at most 4)"],
      [oneTensor("x", [2n ** 60n, 0], 0, 0, 64), "corrupt: dimension 0 of tensor 'x' is 1152921504606846976"],
      [
        oneTensor("x", [2 ** 40, 2 ** 40], 0, 0, 64),
        `truncated: tensor 'x' data ends at byte ${96n + 2n ** 82n} but the file has 160 bytes`,
      ],
    ];
    for (const [bytes, message] of cases)
      expect(formatError(() => readGguf(bytes, "bad.gguf"))).toMatchObject({ message, file: "bad.gguf" });
  });

  it("checks counts and lengths against the bytes left before allocating", () => {
    const huge = 2n ** 64n - 1n;
    expect(formatError(() => readGguf(header(huge, 0).finish())).message).toBe(
      `truncated or corrupt: tensor count ${huge} needs at least ${huge * 24n} bytes but only 8 follow byte 16`,
    );
    expect(formatError(() => readGguf(header(0, huge).finish())).message).toMatch(
      /^truncated or corrupt: metadata count 18446744073709551615 needs/,
    );

    const longKey = header(0, 1);
    longKey.u64(huge);
    longKey.view(16);
    expect(formatError(() => readGguf(longKey.finish())).message).toBe(
      "truncated: key of metadata entry #0 ends at byte 18446744073709551647 but the file has 48 bytes",
    );

    const longArray = header(0, 1);
    longArray.string("k");
    longArray.u32(9); // array
    longArray.u32(8); // of strings
    longArray.u64(2n ** 40n);
    longArray.view(64);
    expect(formatError(() => readGguf(longArray.finish())).message).toBe(
      `truncated or corrupt: element count of metadata key 'k' ${2n ** 40n} needs at least ${2n ** 43n} bytes but only 64 follow byte 49`,
    );
  });

  it("rejects invalid metadata", () => {
    const withEntries = (...entries: ((out: ByteSink) => void)[]) => {
      const out = header(0, entries.length);
      for (const write of entries) write(out);
      return out.finish();
    };
    const entry = (key: string, type: number, writeValue: (out: ByteSink) => void) => (out: ByteSink) => {
      out.string(key);
      out.u32(type);
      writeValue(out);
    };
    const u32 = (key: string, value: number) => entry(key, 4, (out) => out.u32(value));
    const deepArray = (out: ByteSink) => {
      for (let depth = 0; depth < 100; depth++) {
        out.u32(9);
        out.u64(1);
      }
    };
    const cases: [Uint8Array, string][] = [
      [withEntries(u32("a", 1), u32("a", 2)), "corrupt: metadata key 'a' appears twice"],
      [
        withEntries(entry("a", 13, (out) => out.u32(0))),
        "corrupt: type of metadata key 'a' is 13, which is not a GGUF value type",
      ],
      [
        withEntries(entry("flag", 7, (out) => out.u8(2))),
        "corrupt: metadata key 'flag' is a bool with the invalid value 2",
      ],
      [
        withEntries(entry("deep", 9, deepArray)),
        `corrupt: metadata key 'deep'${"[0]".repeat(16)} nests arrays more than 16 deep`,
      ],
      [withEntries(u32("general.alignment", 24)), "corrupt: general.alignment is uint32 24, expected a power of two"],
      [withEntries(u32("general.alignment", 0)), "corrupt: general.alignment is uint32 0, expected a power of two"],
    ];
    for (const [bytes, message] of cases) expect(formatError(() => readGguf(bytes)).message).toBe(message);

    const twice = writeGguf({
      tensors: [
        { name: "t", dims: [1], type: "F32", values: [1] },
        { name: "t", dims: [1], type: "F32", values: [2] },
      ],
    });
    expect(formatError(() => readGguf(twice)).message).toBe("corrupt: tensor 't' appears twice");
  });

  it("never fails with anything but a ModelFormatError on corrupted bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(small.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (edits) => {
          const corrupted = small.slice();
          for (const [at, byte] of edits) corrupted[at] = byte;
          try {
            const gguf = readGguf(corrupted);
            for (const name of gguf.tensors.keys()) gguf.tensorF32(name);
          } catch (error) {
            if (!(error instanceof ModelFormatError)) throw error;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
