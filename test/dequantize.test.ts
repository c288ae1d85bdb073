import { describe, expect, it } from "vitest";
import {
  DECODABLE_GGML_TYPES,
  GGML_TYPES,
  type GgmlTypeName,
  bfloat16ToFloat,
  dequantize,
  ggmlTypeTraits,
  halfToFloat,
} from "../runtime/formats/ggml-types.js";
import { SeededRandom } from "../runtime/sampling.js";
import { QUANTIZED_BLOCKS, type QuantizedTypeName, floatToHalfBits, quantize } from "./support/ggml-quantize.js";
import { floatToBfloat16Bits } from "./support/gguf-writer.js";

// The decoders are checked against each element's value computed on its own from ggml's block layout
// (ggml-common.h) and dequantize_row_* formulas (ggml-quants.c). Every formula is small integers times fp16
// scales, exact before the final rounding to float32, so the tolerance is 0: the same float32, signed zeros
// included (NaNs compare equal to NaNs).

const f32 = Math.fround;

/** Little-endian fields of one block, for the per-element formulas. */
const u8 = (block: Uint8Array, at: number) => block[at]!;
const i8 = (block: Uint8Array, at: number) => (block[at]! > 127 ? block[at]! - 256 : block[at]!);
const u16 = (block: Uint8Array, at: number) => block[at]! + 256 * block[at + 1]!;
const fp16 = (block: Uint8Array, at: number) => halfToFloat(u16(block, at));
const bit = (block: Uint8Array, at: number, index: number) => (block[at + Math.floor(index / 8)]! >> (index % 8)) & 1;

/** Q4_0/Q4_1/Q5_0/Q5_1: 16 bytes at `at`; element e < 16 is the low nibble of byte e, e ≥ 16 the high nibble of byte e − 16. */
const legacyNibble = (block: Uint8Array, at: number, e: number) =>
  e < 16 ? u8(block, at + e) % 16 : Math.floor(u8(block, at + e - 16) / 16);

/** get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 bytes at `at`. */
function kScaleMin(block: Uint8Array, at: number, j: number): [number, number] {
  const b = (i: number) => u8(block, at + i);
  if (j < 4) return [b(j) % 64, b(j + 4) % 64];
  const high2 = (byte: number) => Math.floor(byte / 64);
  return [(b(j + 4) % 16) + 16 * high2(b(j - 4)), Math.floor(b(j + 4) / 16) + 16 * high2(b(j))];
}

/** Element e of block_q4_K (no fifth bits) or block_q5_K (fifth bits at byte 16, quants at 48). */
function kWithMinsElement(block: Uint8Array, e: number, fifthBits: boolean): number {
  const subBlock = Math.floor(e / 32);
  const l = e % 32;
  const quantByte = u8(block, (fifthBits ? 48 : 16) + 32 * Math.floor(subBlock / 2) + l);
  const nibble = subBlock % 2 === 0 ? quantByte % 16 : Math.floor(quantByte / 16);
  const q = nibble + (fifthBits ? 16 * bit(block, 16 + l, subBlock) : 0);
  const [scale, min] = kScaleMin(block, 4, subBlock);
  return f32(fp16(block, 0) * scale * q - fp16(block, 2) * min);
}

/** Element e of block_q6_K: ql[128], qh[64], int8 scales[16], fp16 d. */
function q6KElement(block: Uint8Array, e: number): number {
  const half = Math.floor(e / 128);
  const group = Math.floor((e % 128) / 32);
  const l = e % 32;
  const lowByte = u8(block, 64 * half + 32 * (group % 2) + l);
  const low = group < 2 ? lowByte % 16 : Math.floor(lowByte / 16);
  const high = Math.floor(u8(block, 128 + 32 * half + l) / 4 ** group) % 4;
  const scale = i8(block, 192 + 8 * half + 2 * group + Math.floor(l / 16));
  return f32(fp16(block, 208) * scale * (low + 16 * high - 32));
}

interface Spec {
  /** Where the block's fp16 scales lie: random bytes there could be Inf or NaN, so they get finite halves. */
  readonly halfFields: readonly number[];
  readonly element: (block: Uint8Array, e: number) => number;
}

const SPECS: Readonly<Record<string, Spec>> = {
  F32: { halfFields: [], element: (b) => new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true) },
  F16: { halfFields: [], element: (b) => fp16(b, 0) },
  BF16: { halfFields: [], element: (b) => bfloat16ToFloat(u16(b, 0)) },
  Q8_0: { halfFields: [0], element: (b, e) => f32(i8(b, 2 + e) * fp16(b, 0)) },
  Q4_0: { halfFields: [0], element: (b, e) => f32((legacyNibble(b, 2, e) - 8) * fp16(b, 0)) },
  Q4_1: { halfFields: [0, 2], element: (b, e) => f32(legacyNibble(b, 4, e) * fp16(b, 0) + fp16(b, 2)) },
  Q5_0: {
    halfFields: [0],
    element: (b, e) => f32((legacyNibble(b, 6, e) + 16 * bit(b, 2, e) - 16) * fp16(b, 0)),
  },
  Q5_1: {
    halfFields: [0, 2],
    element: (b, e) => f32((legacyNibble(b, 8, e) + 16 * bit(b, 4, e)) * fp16(b, 0) + fp16(b, 2)),
  },
  Q4_K: { halfFields: [0, 2], element: (b, e) => kWithMinsElement(b, e, false) },
  Q5_K: { halfFields: [0, 2], element: (b, e) => kWithMinsElement(b, e, true) },
  Q6_K: { halfFields: [208], element: q6KElement },
};

/** A random finite binary16: random bits, with the top exponent bit cleared where they spell Inf or NaN. */
function finiteHalfBits(random: SeededRandom): number {
  const bits = random.nextUint32() & 0xffff;
  return ((bits >> 10) & 0x1f) === 0x1f ? bits & ~0x4000 : bits;
}

function randomBlocks(name: GgmlTypeName, blockCount: number, seed: number): Uint8Array {
  const { bytesPerBlock } = ggmlTypeTraits(name);
  const random = new SeededRandom(seed);
  const bytes = Uint8Array.from({ length: blockCount * bytesPerBlock }, () => random.nextUint32() & 0xff);
  for (let block = 0; block < blockCount; block++) {
    for (const at of SPECS[name]!.halfFields) {
      const bits = finiteHalfBits(random);
      bytes[block * bytesPerBlock + at] = bits & 0xff;
      bytes[block * bytesPerBlock + at + 1] = bits >> 8;
    }
  }
  return bytes;
}

/** Fails at the first element that is not the same float (Object.is: -0 ≠ 0, NaN = NaN). */
function expectSameFloats(actual: Float32Array, expected: ArrayLike<number>): void {
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]))
      expect({ element: i, value: actual[i] }).toEqual({ element: i, value: expected[i] });
  }
}

describe("the type table", () => {
  it("lists the decodable types", () => {
    expect(DECODABLE_GGML_TYPES).toEqual([
      "F32",
      "F16",
      "Q4_0",
      "Q4_1",
      "Q5_0",
      "Q5_1",
      "Q8_0",
      "Q4_K",
      "Q5_K",
      "Q6_K",
      "BF16",
    ]);
  });

  it("has ggml's block sizes", () => {
    // sizeof(block_*) from ggml-common.h, written out: fp16 fields are 2 bytes.
    const sizes: [GgmlTypeName, number, number][] = [
      ["Q4_0", 32, 2 + 16],
      ["Q4_1", 32, 2 + 2 + 16],
      ["Q5_0", 32, 2 + 4 + 16],
      ["Q5_1", 32, 2 + 2 + 4 + 16],
      ["Q8_0", 32, 2 + 32],
      ["Q4_K", 256, 2 + 2 + 12 + 128],
      ["Q5_K", 256, 2 + 2 + 12 + 32 + 128],
      ["Q6_K", 256, 128 + 64 + 16 + 2],
      ["IQ2_XXS", 256, 2 + 64],
    ];
    for (const [name, blockSize, bytesPerBlock] of sizes) {
      expect(ggmlTypeTraits(name)).toMatchObject({ name, blockSize, bytesPerBlock });
    }
    for (const [id, type] of GGML_TYPES) expect(type.id).toBe(id);
  });
});

describe("dequantizers", () => {
  for (const name of DECODABLE_GGML_TYPES) {
    it(`decode ${name} as ggml's formula gives each element`, () => {
      const { blockSize, bytesPerBlock } = ggmlTypeTraits(name);
      const blockCount = Math.max(4, Math.ceil(4096 / blockSize));
      const bytes = randomBlocks(name, blockCount, 7 + ggmlTypeTraits(name).id);
      const expected = Array.from({ length: blockCount * blockSize }, (_, e) => {
        const block = Math.floor(e / blockSize);
        return SPECS[name]!.element(bytes.subarray(block * bytesPerBlock, (block + 1) * bytesPerBlock), e % blockSize);
      });
      expectSameFloats(dequantize(ggmlTypeTraits(name), bytes, blockCount * blockSize), expected);
    });
  }

  it("unpack the 6-bit scales and mins of Q4_K", () => {
    // d = dmin = 1 and every quant 1, so sub-block j decodes to scale_j − min_j; scales and mins chosen to set
    // every one of the 6 bits somewhere, packed by hand as ggml-common.h lays them out.
    const scales = [63, 1, 32, 17, 48, 5, 60, 33];
    const mins = [0, 63, 2, 40, 9, 62, 31, 16];
    const block = new Uint8Array(144);
    block.set([0x00, 0x3c, 0x00, 0x3c]); // fp16 1.0 twice
    for (let j = 0; j < 4; j++) {
      block[4 + j] = scales[j]! | ((scales[j + 4]! >> 4) << 6);
      block[8 + j] = mins[j]! | ((mins[j + 4]! >> 4) << 6);
      block[12 + j] = (scales[j + 4]! & 15) | ((mins[j + 4]! & 15) << 4);
    }
    block.fill(0x11, 16);
    const values = dequantize(ggmlTypeTraits("Q4_K"), block, 256);
    for (let j = 0; j < 8; j++)
      expect([...values.subarray(32 * j, 32 * j + 32)]).toEqual(new Array(32).fill(scales[j]! - mins[j]!));
  });

  it("keep every bit of f32 and bf16", () => {
    const nanWithPayload = Uint8Array.of(0x01, 0x02, 0x81, 0x7f);
    const f32Bits = new Uint8Array(dequantize(ggmlTypeTraits("F32"), nanWithPayload, 1).buffer);
    expect([...f32Bits]).toEqual([...nanWithPayload]);
    const bf16 = dequantize(ggmlTypeTraits("BF16"), Uint8Array.of(0x81, 0x7f, 0x80, 0x3f, 0x00, 0x80), 3);
    expect([...new Uint32Array(bf16.buffer)]).toEqual([0x7f810000, 0x3f800000, 0x80000000]);
    expect(floatToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // a tie rounds to even
    expect(floatToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });

  it("decode into part of a larger array without touching the rest", () => {
    const type = ggmlTypeTraits("Q6_K");
    const bytes = randomBlocks("Q6_K", 2, 3);
    const target = new Float32Array(3 * 256).fill(42);
    type.dequantize!(bytes, target.subarray(256, 768));
    expectSameFloats(target.subarray(256, 768), dequantize(type, bytes, 512));
    expect(target.subarray(0, 256).every((v) => v === 42) && target.subarray(768).every((v) => v === 42)).toBe(true);
  });
});

describe("round trip through the test quantizers", () => {
  /**
   * The largest error each quantizer makes, as a fraction of its block's largest |x| (A), from its formula:
   * - Q8_0: steps of d = A/127; half a step, plus fp16's rounding of d (2^-11 relative) over up to 127 steps.
   * - Q4_0, Q5_0: steps of d = A/8 (A/16), quants −8..7 (−16..15): the value of largest magnitude is exact but
   *   its opposite clips a whole step away; plus fp16's rounding of d over up to 8 (16) steps.
   * - Q4_1, Q5_1: 15 (31) steps over max − min ≤ 2A: half a step, plus fp16's rounding of d and m.
   * - Q4_K, Q5_K: 15 (31) steps per sub-block over at most 2A; the 6-bit sub-block scales and mins (steps of
   *   1/63 of the largest) round to nearest, which can shrink a sub-block's range by up to 2A/126 beyond the
   *   half step: A/15 + 2A/126 (A/31 + 2A/126), plus fp16 rounding.
   * - Q6_K: steps of A/32 per 16-element sub-block whose int8 scale (steps of 1/128 of the largest) rounds to
   *   nearest: the opposite of the largest value clips one step away, plus 32 times half a scale step, A/256.
   */
  const MAX_ERROR: Readonly<Record<QuantizedTypeName, number>> = {
    Q8_0: (0.5 + 127 * 2 ** -11) / 127,
    Q4_0: (1 + 8 * 2 ** -11) / 8,
    Q5_0: (1 + 16 * 2 ** -11) / 16,
    Q4_1: (2 * (0.5 + 15 * 2 ** -11)) / 15 + 2 ** -11,
    Q5_1: (2 * (0.5 + 31 * 2 ** -11)) / 31 + 2 ** -11,
    Q4_K: (1 + 2 ** -8) / 15 + 2 / 126,
    Q5_K: (1 + 2 ** -8) / 31 + 2 / 126,
    Q6_K: (1 + 2 ** -8) / 32 + 1 / 256,
  };

  /**
   * Blocks of uniform values whose amplitude varies per 32 elements, plus blocks of zeros and of one constant.
   * Block amplitudes of 0.5 to 50 keep every type's fp16 scales normal: below 2^-14 fp16 loses relative
   * precision, and so does ggml's quantization.
   */
  function testValues(blockSize: number, blockCount: number, seed: number): Float32Array {
    const random = new SeededRandom(seed);
    const values = new Float32Array(blockSize * (blockCount + 2));
    let amplitude = 1;
    for (let i = 0; i < blockSize * blockCount; i++) {
      if (i % blockSize === 0) amplitude = 0.5 * 10 ** (2 * random.nextDouble());
      if (i % 32 === 0) amplitude *= 0.05 + 0.95 * random.nextDouble();
      values[i] = amplitude * (2 * random.nextDouble() - 1);
    }
    values.fill(0.75, blockSize * (blockCount + 1)); // the last block is constant; the one before it zeros
    return values;
  }

  for (const name of Object.keys(QUANTIZED_BLOCKS) as QuantizedTypeName[]) {
    it(`dequantize(quantize(x)) ≈ x for ${name}, within ${MAX_ERROR[name].toPrecision(3)} of each block's max |x|`, () => {
      const { elements, bytes: bytesPerBlock } = QUANTIZED_BLOCKS[name];
      expect(ggmlTypeTraits(name)).toMatchObject({ blockSize: elements, bytesPerBlock });
      const values = testValues(elements, Math.ceil(8192 / elements), 11);
      const bytes = quantize(name, values);
      const decoded = dequantize(ggmlTypeTraits(name), bytes, values.length);
      let worstRelativeError = 0;
      for (let start = 0; start < values.length; start += elements) {
        const block = values.subarray(start, start + elements);
        const amax = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const worst = block.reduce((m, v, i) => Math.max(m, Math.abs(decoded[start + i]! - v)), 0);
        if (amax > 0) worstRelativeError = Math.max(worstRelativeError, worst / amax);
      }
      expect(worstRelativeError).toBeLessThanOrEqual(MAX_ERROR[name]);
      const zerosAt = values.length - 2 * elements;
      expect(decoded.subarray(zerosAt, zerosAt + elements).every((v) => v === 0)).toBe(true);
    });
  }

  it("puts Q8_0's block maximum on the grid exactly", () => {
    // d = A/127 in fp16: values that are multiples of an fp16 d, with ±127·d present, come back unchanged.
    const d = halfToFloat(floatToHalfBits(0.013));
    const quants = Array.from({ length: 32 }, (_, i) => (i === 0 ? 127 : ((i * 37) % 255) - 127));
    const values = quants.map((q) => f32(q * d));
    expectSameFloats(dequantize(ggmlTypeTraits("Q8_0"), quantize("Q8_0", values), 32), values);
  });
});

describe("MatMulNBits layouts", () => {
  // Each type the graph keeps quantized, repacked and read back as MatMulNBits reads it, element =
  // (code − 2^(bits−1))·scale + offset, gives the element its ggml decoder gives. The scales are exact in float32;
  // an offset folds a min and a scale into one float32, so each element may differ by that rounding.
  const kept = [...GGML_TYPES.values()].filter((type) => type.nBits !== undefined);

  it("cover the legacy and K types but Q2_K and Q3_K", () => {
    expect(kept.map((type) => type.name)).toEqual(["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]);
  });

  for (const type of kept) {
    const layout = type.nBits!;
    it(`repack ${type.name} into ${layout.bits}-bit codes in blocks of ${layout.blockSize} that decode as ggml does`, () => {
      const blockCount = 6;
      const bytes = randomBlocks(type.name, blockCount, 7);
      const elements = blockCount * type.blockSize;
      const codes = new Uint8Array((elements * layout.bits) / 8);
      const scales = new Float32Array(elements / layout.blockSize);
      const offsets = new Float32Array(layout.withOffsets ? scales.length : 0);
      layout.repack(bytes, codes, scales, offsets);
      const expected = dequantize(type, bytes, elements);
      const zeroPoint = 2 ** (layout.bits - 1);
      for (let e = 0; e < elements; e++) {
        const code = layout.bits === 8 ? codes[e]! : (codes[e >> 1]! >> ((e & 1) * 4)) & 0x0f;
        const block = Math.floor(e / layout.blockSize);
        const offset = offsets[block] ?? 0;
        const actual = (code - zeroPoint) * scales[block]! + offset;
        const rounding = 2 ** -23 * (Math.abs(offset) + Math.abs(expected[e]!));
        if (Math.abs(actual - expected[e]!) > rounding)
          expect({ element: e, value: actual }).toEqual({ element: e, value: expected[e] });
      }
    });
  }
});
