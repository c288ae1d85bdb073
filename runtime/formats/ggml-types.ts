// ggml's tensor types, like ggml's own type-traits table: each type's name and id, how many elements one block
// holds and how many bytes it takes, and for the types the runtime reads, a decoder to f32.
//
// Block layouts follow ggml-common.h's block_* structs and the decoders follow ggml-quants.c's reference
// dequantize_row_* functions formula for formula, so a tensor decodes to the very floats llama.cpp computes.
// Each formula multiplies small integers by fp16 scales, which is exact in float64; the single rounding when
// the result is stored into a Float32Array is the one rounding that C's float arithmetic does.
//
// The decoders run over hundreds of megabytes: they index bytes directly, write into a caller's Float32Array
// and allocate nothing per element or per block.

/** Decodes whole blocks: `target.length / blockSize` elements from the blocks at the start of `source`. */
export type Dequantizer = (source: Uint8Array, target: Float32Array) => void;

export interface GgmlTypeTraits {
  /** The type's id in GGUF tensor infos. */
  readonly id: number;
  readonly name: GgmlTypeName;
  /** Elements per block; ne[0] of a tensor must be a multiple of it. */
  readonly blockSize: number;
  readonly bytesPerBlock: number;
  /** Absent for the types the runtime cannot decode. */
  readonly dequantize?: Dequantizer;
  /** Present for the types a graph can keep quantized, as onnxruntime's MatMulNBits holds them. */
  readonly nBits?: NBitsLayout;
}

/**
 * Blocks as onnxruntime's MatMulNBits reads them: per block of `blockSize` elements along a row, its codes of
 * `bits` bits packed low bits first (at 4 bits, element 2i in the low nibble of byte i), one float32 scale, and the
 * implicit zero point 2^(bits−1); element = (code − zero point) · scale, plus the block's offset for types with
 * offsets (the mins of Q4_1, Q5_1 and the K types with mins, which the graph adds as a small product of its own).
 * Types of 5 and 6 bits, which MatMulNBits has no codes for, take 8-bit codes: every value of theirs is one.
 */
export interface NBitsLayout {
  readonly bits: 4 | 8;
  /** Each of ggml's scales covers 32 elements, but Q6_K's 16. */
  readonly blockSize: 16 | 32;
  /**
   * MatMulNBits' accuracy_level: 0 computes in float32, as exact as dequantizing first; 4 quantizes the
   * activations to int8 per block, as llama.cpp does for these types, where onnxruntime's CPU kernels have no
   * fast float32 path (8 bits: 7× slower than the float32 weights it would replace).
   */
  readonly accuracyLevel: 0 | 4;
  readonly withOffsets: boolean;
  /**
   * Rewrites whole ggml blocks of `source`: the codes, the scale and (with offsets) the offset of each of their
   * MatMulNBits blocks, in order.
   */
  readonly repack: (source: Uint8Array, codes: Uint8Array, scales: Float32Array, offsets: Float32Array) => void;
}

/**
 * The layout of a type whose ggml blocks hold `quant` values 0…2^bits−1 with x = (quant − center)·scale + offset
 * per sub-block: 4-bit types as 4-bit codes, wider ones as 8-bit codes, each code = quant − center + zero point.
 */
function nBitsLayout(
  quantBits: 4 | 5 | 6,
  blockSize: 16 | 32,
  withOffsets: boolean,
  repack: NBitsLayout["repack"],
): NBitsLayout {
  const bits = quantBits === 4 ? 4 : 8;
  return { bits, blockSize, accuracyLevel: bits === 4 ? 0 : 4, withOffsets, repack };
}

/** One MatMulNBits block of 8-bit codes at `codes[at…]` from `quants` centred on `center`: quant − center + 128. */
function writeByteCodes(quants: Uint8Array, center: number, codes: Uint8Array, at: number): void {
  const shift = 128 - center;
  for (let i = 0; i < quants.length; i++) codes[at + i] = quants[i]! + shift;
}

/**
 * `count` 4-bit codes at `codes[at…]` straight from ggml's nibbles: code i pairs the nibbles at `shift` of bytes
 * from + 2i and from + 2i + 1. A 4-bit type's quants are centred on 8, the codes' zero point, so each code is
 * its quant.
 */
function packNibblePairs(source: Uint8Array, from: number, shift: 0 | 4, count: number, codes: Uint8Array, at: number) {
  for (let i = 0, byte = from; i < count; i++, byte += 2) {
    codes[at + i] = ((source[byte]! >> shift) & 0x0f) | (((source[byte + 1]! >> shift) & 0x0f) << 4);
  }
}

/** Every ggml type id by name; gaps are ids ggml has removed. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ2_XXS: 16,
  IQ2_XS: 17,
  IQ3_XXS: 18,
  IQ1_S: 19,
  IQ4_NL: 20,
  IQ3_S: 21,
  IQ2_S: 22,
  IQ4_XS: 23,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  IQ1_M: 29,
  BF16: 30,
  TQ1_0: 34,
  TQ2_0: 35,
  MXFP4: 39,
  NVFP4: 40,
  Q1_0: 41,
  Q2_0: 42,
} as const;

export type GgmlTypeName = keyof typeof GgmlType;

// ---------------------------------------------------------------------------------------------
// Scalars

/** IEEE 754 binary16 bits to a number; exact, including signed zeros, subnormals and infinities. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal: no implicit leading 1
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

const bfloat16Scratch = new Uint32Array(1);
const bfloat16ScratchAsFloat = new Float32Array(bfloat16Scratch.buffer);

/** bfloat16 bits to a number: they are the high half of a float32's bits. */
export function bfloat16ToFloat(bits: number): number {
  bfloat16Scratch[0] = (bits & 0xffff) << 16;
  return bfloat16ScratchAsFloat[0]!;
}

/** Every binary16 decoded once, so the decoders turn an fp16 into a number with one lookup. */
const HALF_TO_FLOAT = Float32Array.from({ length: 0x10000 }, (_, bits) => halfToFloat(bits));

function halfAt(bytes: Uint8Array, at: number): number {
  return HALF_TO_FLOAT[bytes[at]! | (bytes[at + 1]! << 8)]!;
}

// ---------------------------------------------------------------------------------------------
// Decoders

// F32 and BF16 write bit patterns through a Uint32Array over the target, which keeps every bit (NaN payloads
// included) and, because both views share the host's byte order, works on any host.

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function dequantizeF32(source: Uint8Array, target: Float32Array): void {
  // On a little-endian host (all but a few) the file's bytes already are the floats: copying them is several
  // times faster than assembling each one.
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(source.subarray(0, target.byteLength));
    return;
  }
  const bits = new Uint32Array(target.buffer, target.byteOffset, target.length);
  for (let i = 0, at = 0; i < bits.length; i++, at += 4) {
    bits[i] = source[at]! | (source[at + 1]! << 8) | (source[at + 2]! << 16) | (source[at + 3]! << 24);
  }
}

function dequantizeBF16(source: Uint8Array, target: Float32Array): void {
  const bits = new Uint32Array(target.buffer, target.byteOffset, target.length);
  for (let i = 0, at = 0; i < bits.length; i++, at += 2) bits[i] = (source[at]! | (source[at + 1]! << 8)) << 16;
}

function dequantizeF16(source: Uint8Array, target: Float32Array): void {
  for (let i = 0, at = 0; i < target.length; i++, at += 2) target[i] = halfAt(source, at);
}

/** block_q8_0: fp16 d, then 32 int8 quants; x = q·d. */
function dequantizeQ8_0(source: Uint8Array, target: Float32Array): void {
  for (let out = 0, at = 0; out < target.length; at += 34) {
    const d = halfAt(source, at);
    for (let j = 0; j < 32; j++) target[out++] = ((source[at + 2 + j]! << 24) >> 24) * d;
  }
}

/** Q8_0 as 8-bit codes: q + 128 is q's bits with the sign bit flipped. */
function repackQ8_0(source: Uint8Array, codes: Uint8Array, scales: Float32Array): void {
  for (let block = 0, at = 0, out = 0; block < scales.length; block++, at += 34) {
    scales[block] = halfAt(source, at);
    for (let j = 0; j < 32; j++) codes[out++] = source[at + 2 + j]! ^ 0x80;
  }
}

/**
 * Q4_0, Q4_1, Q5_0 and Q5_1 share one 32-element layout: fp16 d; for the _1 types an fp16 min m; for the Q5
 * types a little-endian u32 whose bit j is the fifth bit of quant j; then 16 bytes whose low nibbles are quants
 * 0–15 and high nibbles quants 16–31. The _0 types are signed, x = (q − center)·d; the _1 types x = q·d + m.
 */
class LegacyBlocks {
  readonly bytesPerBlock: number;
  readonly center: number;
  private readonly quantsAt: number;

  constructor(
    readonly withMin: boolean,
    readonly fifthBits: boolean,
  ) {
    this.quantsAt = 2 + (withMin ? 2 : 0) + (fifthBits ? 4 : 0);
    this.bytesPerBlock = this.quantsAt + 16;
    this.center = fifthBits ? 16 : 8;
  }

  /** The 32 quants of the block at `at`, into `quants`. */
  quants(source: Uint8Array, at: number, quants: Uint8Array): void {
    const { quantsAt, fifthBits } = this;
    const highBits = fifthBits
      ? source[at + quantsAt - 4]! |
        (source[at + quantsAt - 3]! << 8) |
        (source[at + quantsAt - 2]! << 16) |
        (source[at + quantsAt - 1]! << 24)
      : 0;
    for (let j = 0; j < 16; j++) {
      const byte = source[at + quantsAt + j]!;
      quants[j] = (byte & 0x0f) | (((highBits >>> j) & 1) << 4);
      quants[j + 16] = (byte >> 4) | (((highBits >>> (j + 16)) & 1) << 4);
    }
  }

  dequantizer(): Dequantizer {
    const quants = new Uint8Array(32);
    return (source, target) => {
      for (let out = 0, at = 0; out < target.length; out += 32, at += this.bytesPerBlock) {
        const d = halfAt(source, at);
        this.quants(source, at, quants);
        if (this.withMin) {
          const m = halfAt(source, at + 2);
          for (let j = 0; j < 32; j++) target[out + j] = quants[j]! * d + m;
        } else for (let j = 0; j < 32; j++) target[out + j] = (quants[j]! - this.center) * d;
      }
    };
  }

  /** As MatMulNBits blocks of 32: x = (q − center)·d, plus for the _1 types the offset center·d + m. */
  nBits(): NBitsLayout {
    const quants = new Uint8Array(32);
    return nBitsLayout(this.fifthBits ? 5 : 4, 32, this.withMin, (source, codes, scales, offsets) => {
      for (let block = 0, at = 0; block < scales.length; block++, at += this.bytesPerBlock) {
        const d = halfAt(source, at);
        scales[block] = d;
        if (this.withMin) offsets[block] = this.center * d + halfAt(source, at + 2);
        if (this.fifthBits) {
          this.quants(source, at, quants);
          writeByteCodes(quants, this.center, codes, block * 32);
        } else {
          // Quants 0–15 are the low nibbles of the 16 bytes, 16–31 the high ones.
          packNibblePairs(source, at + this.quantsAt, 0, 8, codes, block * 16);
          packNibblePairs(source, at + this.quantsAt, 4, 8, codes, block * 16 + 8);
        }
      }
    });
  }
}

/**
 * The 12 scale bytes of Q4_K and Q5_K hold eight 6-bit scales and eight 6-bit mins (ggml's get_scale_min_k4):
 * for sub-blocks 0–3 the low 6 bits of bytes j and j + 4; for 4–7 a nibble of byte j + 4 topped by the
 * 2 high bits of byte j − 4 (scale) or byte j (min).
 */
function kScale(bytes: Uint8Array, scalesAt: number, j: number): number {
  return j < 4 ? bytes[scalesAt + j]! & 63 : (bytes[scalesAt + j + 4]! & 0x0f) | ((bytes[scalesAt + j - 4]! >> 6) << 4);
}

function kMin(bytes: Uint8Array, scalesAt: number, j: number): number {
  return j < 4 ? bytes[scalesAt + j + 4]! & 63 : (bytes[scalesAt + j + 4]! >> 4) | ((bytes[scalesAt + j]! >> 6) << 4);
}

/**
 * block_q4_K and block_q5_K: fp16 d and dmin, 12 scale bytes, for Q5_K 32 bytes of fifth bits, then 128 bytes
 * of nibbles. 256 elements in 8 sub-blocks of 32, each with x = (d·scale)·q − dmin·min. Quant bytes 32c..32c+31
 * hold sub-block 2c in their low nibbles and 2c + 1 in their high ones; for Q5_K, bit j of fifth-bit byte l is
 * the fifth bit of element l of sub-block j.
 */
class KBlocksWithMins {
  readonly bytesPerBlock: number;
  private readonly quantsAt: number;

  constructor(readonly fifthBits: boolean) {
    this.quantsAt = fifthBits ? 48 : 16;
    this.bytesPerBlock = this.quantsAt + 128;
  }

  /** The 32 quants of sub-block j of the block at `at`, into `quants`. */
  quants(source: Uint8Array, at: number, j: number, quants: Uint8Array): void {
    const shift = (j & 1) * 4;
    const from = at + this.quantsAt + (j >> 1) * 32;
    for (let l = 0; l < 32; l++) quants[l] = (source[from + l]! >> shift) & 0x0f;
    if (!this.fifthBits) return;
    for (let l = 0; l < 32; l++) quants[l]! |= ((source[at + 16 + l]! >> j) & 1) << 4;
  }

  /**
   * Calls `each` with every sub-block in order: the block's start `at`, j, and its scale d·scale_j and min
   * dmin·min_j.
   */
  private forEachSubBlock(
    source: Uint8Array,
    blocks: number,
    each: (sub: number, at: number, j: number, scale: number, min: number) => void,
  ): void {
    for (let block = 0, at = 0; block < blocks; block++, at += this.bytesPerBlock) {
      const d = halfAt(source, at);
      const dmin = halfAt(source, at + 2);
      for (let j = 0; j < 8; j++) {
        each(block * 8 + j, at, j, d * kScale(source, at + 4, j), dmin * kMin(source, at + 4, j));
      }
    }
  }

  dequantizer(): Dequantizer {
    const quants = new Uint8Array(32);
    return (source, target) =>
      this.forEachSubBlock(source, target.length / 256, (sub, at, j, scale, min) => {
        this.quants(source, at, j, quants);
        for (let l = 0; l < 32; l++) target[sub * 32 + l] = scale * quants[l]! - min;
      });
  }

  /**
   * As MatMulNBits blocks of 32, one per sub-block: x = scale·q − min is
   * (q − center)·scale + (center·scale − min), with the center 2^(bits−1) of the quants. Centred, the codes
   * carry less of each weight than uncentred ones would, so the 8-bit types' int8 activations round less into
   * them.
   */
  nBits(): NBitsLayout {
    const center = this.fifthBits ? 16 : 8;
    const quants = new Uint8Array(32);
    return nBitsLayout(this.fifthBits ? 5 : 4, 32, true, (source, codes, scales, offsets) =>
      this.forEachSubBlock(source, scales.length / 8, (sub, at, j, scale, min) => {
        scales[sub] = scale;
        offsets[sub] = center * scale - min;
        if (this.fifthBits) {
          this.quants(source, at, j, quants);
          writeByteCodes(quants, center, codes, sub * 32);
        } else packNibblePairs(source, at + this.quantsAt + (j >> 1) * 32, ((j & 1) * 4) as 0 | 4, 16, codes, sub * 16);
      }),
    );
  }
}

/**
 * block_q6_K: 128 bytes of low nibbles (ql), 64 bytes of 2-bit high parts (qh), 16 int8 scales, fp16 d.
 * 256 elements in two halves of 128; in half h, element 32g + l (g = 0..3) takes its low nibble from
 * ql[64h + 32(g & 1) + l] (the high nibble for g ≥ 2), its high 2 bits from bits 2g and 2g + 1 of qh[32h + l],
 * and the scale of its 16-element sub-block, scales[8h + 2g + l/16]; x = (d·scale)·(q − 32). Calls `each` with
 * every block's 256 quants and its 16 sub-block scales d·scale, in order.
 */
function forEachQ6_KBlock(
  source: Uint8Array,
  blocks: number,
  each: (block: number, quants: Uint8Array, scales: Float32Array) => void,
): void {
  const quants = new Uint8Array(256);
  const scales = new Float32Array(16);
  for (let block = 0, at = 0; block < blocks; block++, at += 210) {
    const d = halfAt(source, at + 208);
    for (let sub = 0; sub < 16; sub++) scales[sub] = d * ((source[at + 192 + sub]! << 24) >> 24);
    for (let half = 0; half < 2; half++) {
      const ql = at + half * 64;
      const qh = at + 128 + half * 32;
      const first = half * 128;
      for (let l = 0; l < 32; l++) {
        const low = source[ql + l]!;
        const lowNext = source[ql + l + 32]!;
        const high = source[qh + l]!;
        quants[first + l] = (low & 0x0f) | ((high & 3) << 4);
        quants[first + l + 32] = (lowNext & 0x0f) | (((high >> 2) & 3) << 4);
        quants[first + l + 64] = (low >> 4) | (((high >> 4) & 3) << 4);
        quants[first + l + 96] = (lowNext >> 4) | (((high >> 6) & 3) << 4);
      }
    }
    each(block, quants, scales);
  }
}

function dequantizeQ6_K(source: Uint8Array, target: Float32Array): void {
  forEachQ6_KBlock(source, target.length / 256, (block, quants, scales) => {
    const first = block * 256;
    for (let e = 0; e < 256; e++) target[first + e] = scales[e >> 4]! * (quants[e]! - 32);
  });
}

/** Q6_K as MatMulNBits blocks of 16, one per sub-block, with 8-bit codes. */
const Q6_K_NBITS = nBitsLayout(6, 16, false, (source, codes, scales) =>
  forEachQ6_KBlock(source, scales.length / 16, (block, quants, blockScales) => {
    scales.set(blockScales, block * 16);
    writeByteCodes(quants, 32, codes, block * 256);
  }),
);

// ---------------------------------------------------------------------------------------------
// The table

interface Layout {
  readonly blockSize: number;
  readonly bytesPerBlock: number;
  readonly dequantize?: Dequantizer;
  readonly nBits?: NBitsLayout;
}

/** A type's decoder and MatMulNBits layout, from its blocks (of 32 elements, but for the K types' 256). */
const layoutOf = (blocks: LegacyBlocks | KBlocksWithMins): Layout => ({
  blockSize: 32,
  bytesPerBlock: blocks.bytesPerBlock,
  dequantize: blocks.dequantizer(),
  nBits: blocks.nBits(),
});

// Supporting another type is one decoder in its entry here.
const LAYOUTS: { readonly [name in GgmlTypeName]: Layout } = {
  F32: { blockSize: 1, bytesPerBlock: 4, dequantize: dequantizeF32 },
  F16: { blockSize: 1, bytesPerBlock: 2, dequantize: dequantizeF16 },
  Q4_0: layoutOf(new LegacyBlocks(false, false)),
  Q4_1: layoutOf(new LegacyBlocks(true, false)),
  Q5_0: layoutOf(new LegacyBlocks(false, true)),
  Q5_1: layoutOf(new LegacyBlocks(true, true)),
  Q8_0: {
    blockSize: 32,
    bytesPerBlock: 34,
    dequantize: dequantizeQ8_0,
    nBits: { bits: 8, blockSize: 32, accuracyLevel: 4, withOffsets: false, repack: repackQ8_0 },
  },
  Q8_1: { blockSize: 32, bytesPerBlock: 36 },
  Q2_K: { blockSize: 256, bytesPerBlock: 84 },
  Q3_K: { blockSize: 256, bytesPerBlock: 110 },
  Q4_K: { ...layoutOf(new KBlocksWithMins(false)), blockSize: 256 },
  Q5_K: { ...layoutOf(new KBlocksWithMins(true)), blockSize: 256 },
  Q6_K: { blockSize: 256, bytesPerBlock: 210, dequantize: dequantizeQ6_K, nBits: Q6_K_NBITS },
  Q8_K: { blockSize: 256, bytesPerBlock: 292 },
  IQ2_XXS: { blockSize: 256, bytesPerBlock: 66 },
  IQ2_XS: { blockSize: 256, bytesPerBlock: 74 },
  IQ3_XXS: { blockSize: 256, bytesPerBlock: 98 },
  IQ1_S: { blockSize: 256, bytesPerBlock: 50 },
  IQ4_NL: { blockSize: 32, bytesPerBlock: 18 },
  IQ3_S: { blockSize: 256, bytesPerBlock: 110 },
  IQ2_S: { blockSize: 256, bytesPerBlock: 82 },
  IQ4_XS: { blockSize: 256, bytesPerBlock: 136 },
  I8: { blockSize: 1, bytesPerBlock: 1 },
  I16: { blockSize: 1, bytesPerBlock: 2 },
  I32: { blockSize: 1, bytesPerBlock: 4 },
  I64: { blockSize: 1, bytesPerBlock: 8 },
  F64: { blockSize: 1, bytesPerBlock: 8 },
  IQ1_M: { blockSize: 256, bytesPerBlock: 56 },
  BF16: { blockSize: 1, bytesPerBlock: 2, dequantize: dequantizeBF16 },
  TQ1_0: { blockSize: 256, bytesPerBlock: 54 },
  TQ2_0: { blockSize: 256, bytesPerBlock: 66 },
  MXFP4: { blockSize: 32, bytesPerBlock: 17 },
  NVFP4: { blockSize: 64, bytesPerBlock: 36 },
  Q1_0: { blockSize: 128, bytesPerBlock: 18 },
  Q2_0: { blockSize: 64, bytesPerBlock: 18 },
};

/** Every known type by id. */
export const GGML_TYPES: ReadonlyMap<number, GgmlTypeTraits> = new Map(
  (Object.keys(GgmlType) as GgmlTypeName[]).map((name) => [
    GgmlType[name],
    { id: GgmlType[name], name, ...LAYOUTS[name] },
  ]),
);

export function ggmlTypeTraits(name: GgmlTypeName): GgmlTypeTraits {
  return GGML_TYPES.get(GgmlType[name])!;
}

/** The names of the types the runtime can decode, in id order, for messages about the others. */
export const DECODABLE_GGML_TYPES: readonly GgmlTypeName[] = [...GGML_TYPES.values()]
  .filter((type) => type.dequantize !== undefined)
  .map((type) => type.name);

/** Decodes `elementCount` elements of `type` from `bytes`, which must hold exactly their blocks. */
export function dequantize(type: GgmlTypeTraits, bytes: Uint8Array, elementCount: number): Float32Array {
  if (type.dequantize === undefined) throw new Error(`ggml type ${type.name} cannot be decoded`);
  if (elementCount % type.blockSize !== 0 || bytes.length !== (elementCount / type.blockSize) * type.bytesPerBlock) {
    throw new Error(`${bytes.length} bytes are not ${elementCount} elements of ggml type ${type.name}`);
  }
  const values = new Float32Array(elementCount);
  type.dequantize(bytes, values);
  return values;
}
