// Quantizers for tests: turn f32 values into ggml blocks, so tests can write quantized GGUF files.
//
// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 follow llama.cpp's quantize_row_*_ref (ggml-quants.c) step by step, float32
// rounding included. The K types follow quantize_row_q4_K_ref / q5_K_ref / q6_K_ref, except that each
// sub-block's scale comes from the plain fit that ggml's own search starts from instead of the search itself:
// for Q4_K and Q5_K make_qkx2_quants with no search steps (min and max of the sub-block), for Q6_K
// make_qx_quants' rmse_type 0 (the value of largest magnitude maps to −32). The blocks are valid and decode
// well; they are merely a little less accurate than llama.cpp's.
//
// Written independently of the runtime's decoders, which the tests check these against.

import { halfToFloat } from "../../runtime/formats/ggml-types.js";

export type QuantizedTypeName = "Q4_0" | "Q4_1" | "Q5_0" | "Q5_1" | "Q8_0" | "Q4_K" | "Q5_K" | "Q6_K";

/** Elements per block and bytes per block of each type, as in ggml-common.h. */
export const QUANTIZED_BLOCKS: Readonly<Record<QuantizedTypeName, { elements: number; bytes: number }>> = {
  Q4_0: { elements: 32, bytes: 18 },
  Q4_1: { elements: 32, bytes: 20 },
  Q5_0: { elements: 32, bytes: 22 },
  Q5_1: { elements: 32, bytes: 24 },
  Q8_0: { elements: 32, bytes: 34 },
  Q4_K: { elements: 256, bytes: 144 },
  Q5_K: { elements: 256, bytes: 176 },
  Q6_K: { elements: 256, bytes: 210 },
};

type BlockQuantizer = (x: Float32Array, block: DataView) => void;

const QUANTIZERS: Readonly<Record<QuantizedTypeName, BlockQuantizer>> = {
  Q4_0: (x, block) => quantizeSymmetric(x, block, 4),
  Q5_0: (x, block) => quantizeSymmetric(x, block, 5),
  Q4_1: (x, block) => quantizeWithMin(x, block, 4),
  Q5_1: (x, block) => quantizeWithMin(x, block, 5),
  Q8_0: quantizeQ8_0,
  Q4_K: (x, block) => quantizeKWithMins(x, block, 4),
  Q5_K: (x, block) => quantizeKWithMins(x, block, 5),
  Q6_K: quantizeQ6_K,
};

/** `values` (rounded to float32 first) as blocks of `type`; their count must be a multiple of its block size. */
export function quantize(type: QuantizedTypeName, values: ArrayLike<number>): Uint8Array {
  const { elements, bytes } = QUANTIZED_BLOCKS[type];
  if (values.length % elements !== 0) {
    throw new Error(`${type} quantizes blocks of ${elements} values; ${values.length} is not a multiple`);
  }
  const x = Float32Array.from(values);
  const out = new Uint8Array((x.length / elements) * bytes);
  for (let b = 0; b < x.length / elements; b++) {
    QUANTIZERS[type](x.subarray(b * elements, (b + 1) * elements), new DataView(out.buffer, b * bytes, bytes));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arithmetic as C's float does it

const f32 = Math.fround;

/** C's roundf: halves away from zero. */
function roundAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** ggml's nearest_int: to the nearest integer, halves to even (its float trick adds 1.5·2^23). */
function roundHalfToEven(x: number): number {
  const rounded = Math.round(x);
  return rounded - x === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

const clamp = (value: number, low: number, high: number) => Math.max(low, Math.min(high, value));

/** GGML_FP32_TO_FP16 and back: the float that an fp16 field holds. */
function storedHalf(block: DataView, at: number, value: number): number {
  const bits = floatToHalfBits(value);
  block.setUint16(at, bits, true);
  return halfToFloat(bits);
}

const float32Bits = new DataView(new ArrayBuffer(4));

/** The binary16 nearest to `value` (ties to even), via its float32 rounding; overflow gives ±Infinity. */
export function floatToHalfBits(value: number): number {
  float32Bits.setFloat32(0, value);
  const bits = float32Bits.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200); // infinity, or a quiet NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  // Normal halves drop 13 mantissa bits; subnormal ones also shift the implicit leading 1 into the mantissa.
  const significand = halfExponent > 0 ? mantissa : mantissa | 0x800000;
  const droppedBits = halfExponent > 0 ? 13 : 14 - halfExponent;
  if (droppedBits > 24) return sign; // below half the smallest subnormal
  let half = (halfExponent > 0 ? halfExponent << 10 : 0) | (significand >>> droppedBits);
  const remainder = significand & ((1 << droppedBits) - 1);
  const halfway = 1 << (droppedBits - 1);
  if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half++; // a carry correctly bumps the exponent
  return sign | half;
}

/** The first value of largest magnitude (ggml keeps its sign to map it onto the most negative quant). */
function signedAbsMax(x: Float32Array): number {
  let amax = 0;
  let max = 0;
  for (const v of x) {
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// 32-element blocks

function quantizeQ8_0(x: Float32Array, block: DataView): void {
  const amax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const d = f32(amax / 127);
  const id = d ? f32(1 / d) : 0;
  storedHalf(block, 0, d);
  for (let j = 0; j < 32; j++) block.setInt8(2 + j, roundAwayFromZero(f32(x[j]! * id)));
}

/**
 * The shared packing of Q4_0/Q4_1/Q5_0/Q5_1 after the fp16 fields: for 5-bit types a u32 of fifth bits, then
 * 16 bytes with quant j in the low nibble of byte j and quant j + 16 in its high nibble.
 */
function packLegacyQuants(block: DataView, at: number, quants: readonly number[], bits: 4 | 5): void {
  let fifthBits = 0;
  for (let j = 0; j < 32; j++) fifthBits |= ((quants[j]! >> 4) & 1) << j;
  if (bits === 5) block.setUint32(at, fifthBits >>> 0, true);
  const nibblesAt = at + (bits === 5 ? 4 : 0);
  for (let j = 0; j < 16; j++) block.setUint8(nibblesAt + j, (quants[j]! & 0x0f) | ((quants[j + 16]! & 0x0f) << 4));
}

/** Q4_0 and Q5_0: d = max / −2^(bits−1), where max is the signed value of largest magnitude. */
function quantizeSymmetric(x: Float32Array, block: DataView, bits: 4 | 5): void {
  const half = 2 ** (bits - 1);
  const d = f32(signedAbsMax(x) / -half);
  const id = d ? f32(1 / d) : 0;
  storedHalf(block, 0, d);
  const quants = [...x].map((v) => Math.min(2 * half - 1, Math.trunc(f32(f32(v * id) + half + 0.5))));
  packLegacyQuants(block, 2, quants, bits);
}

/** Q4_1 and Q5_1: d = (max − min) / (2^bits − 1), m = min. */
function quantizeWithMin(x: Float32Array, block: DataView, bits: 4 | 5): void {
  const levels = 2 ** bits - 1;
  const min = x.reduce((m, v) => Math.min(m, v), Infinity);
  const max = x.reduce((m, v) => Math.max(m, v), -Infinity);
  const d = f32(f32(max - min) / levels);
  const id = d ? f32(1 / d) : 0;
  storedHalf(block, 0, d);
  storedHalf(block, 2, min);
  // ggml caps Q4_1 at 15 and leaves Q5_1 uncapped; (max − min)·id never rounds past the top level, so both agree.
  const quants = [...x].map((v) => Math.min(levels, Math.trunc(f32(f32(f32(v - min) * id) + 0.5))));
  packLegacyQuants(block, 4, quants, bits);
}

// ---------------------------------------------------------------------------------------------
// K types: 256-element super-blocks

/**
 * Q4_K and Q5_K: 8 sub-blocks of 32, each x ≈ scale·q − min with 6-bit scales and mins that are multiples of
 * the super-block's fp16 d and dmin.
 */
function quantizeKWithMins(x: Float32Array, block: DataView, bits: 4 | 5): void {
  const nmax = 2 ** bits - 1;
  const quants = new Array<number>(256).fill(0);
  const scales: number[] = [];
  const mins: number[] = [];
  for (let j = 0; j < 8; j++) {
    const fit = fitWithMin(x.subarray(32 * j, 32 * j + 32), nmax);
    scales.push(fit.scale);
    mins.push(fit.min);
    fit.quants.forEach((q, l) => (quants[32 * j + l] = q));
  }
  const maxScale = Math.max(0, ...scales);
  const maxMin = Math.max(0, ...mins);
  const inverseScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const inverseMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  const scaleBytes = new Uint8Array(12);
  const sixBitScales = scales.map((s) => Math.min(63, roundHalfToEven(f32(inverseScale * s))));
  const sixBitMins = mins.map((m) => Math.min(63, roundHalfToEven(f32(inverseMin * m))));
  for (let j = 0; j < 8; j++) {
    const ls = sixBitScales[j]!;
    const lm = sixBitMins[j]!;
    if (j < 4) {
      scaleBytes[j] = ls;
      scaleBytes[j + 4] = lm;
    } else {
      scaleBytes[j + 4] = (ls & 0x0f) | ((lm & 0x0f) << 4);
      scaleBytes[j - 4]! |= (ls >> 4) << 6;
      scaleBytes[j]! |= (lm >> 4) << 6;
    }
  }
  const d = storedHalf(block, 0, f32(maxScale / 63));
  const dmin = storedHalf(block, 2, f32(maxMin / 63));
  scaleBytes.forEach((byte, i) => block.setUint8(4 + i, byte));

  // Requantize against the scales and mins as stored.
  for (let j = 0; j < 8; j++) {
    const scale = f32(d * sixBitScales[j]!);
    if (!scale) continue;
    const min = f32(dmin * sixBitMins[j]!);
    for (let l = 0; l < 32; l++) {
      quants[32 * j + l] = clamp(roundHalfToEven(f32(f32(x[32 * j + l]! + min) / scale)), 0, nmax);
    }
  }

  // Bytes 32c..32c+31 hold sub-block 2c in low nibbles and 2c + 1 in high nibbles; Q5_K's fifth bit of element
  // l of sub-block j is bit j of byte l of qh.
  const quantsAt = bits === 5 ? 48 : 16;
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) {
      const low = quants[64 * c + l]!;
      const high = quants[64 * c + 32 + l]!;
      block.setUint8(quantsAt + 32 * c + l, (low & 0x0f) | ((high & 0x0f) << 4));
    }
  }
  if (bits === 5) {
    for (let l = 0; l < 32; l++) {
      let fifthBits = 0;
      for (let j = 0; j < 8; j++) fifthBits |= ((quants[32 * j + l]! >> 4) & 1) << j;
      block.setUint8(16 + l, fifthBits);
    }
  }
}

/** make_qkx2_quants without its search: x ≈ scale·q − min over [min(x, 0), max(x)] in nmax steps. */
function fitWithMin(x: Float32Array, nmax: number): { scale: number; min: number; quants: number[] } {
  const low = Math.min(0, ...x);
  const high = Math.max(...x);
  if (high === low) return { scale: 0, min: -low, quants: new Array<number>(x.length).fill(0) };
  const inverseScale = f32(nmax / f32(high - low));
  const quants = [...x].map((v) => clamp(roundHalfToEven(f32(inverseScale * f32(v - low))), 0, nmax));
  return { scale: f32(1 / inverseScale), min: -low, quants };
}

/** ggml's GROUP_MAX_EPS: a sub-block smaller than this is all zeros. */
const GROUP_MAX_EPS = 1e-15;

/** Q6_K: 16 sub-blocks of 16, x ≈ d·scale·(q − 32) with int8 scales and 6-bit quants. */
function quantizeQ6_K(x: Float32Array, block: DataView): void {
  const quants = new Array<number>(256).fill(0);
  const subScales: number[] = [];
  for (let s = 0; s < 16; s++) {
    const sub = x.subarray(16 * s, 16 * s + 16);
    const max = signedAbsMax(sub);
    if (Math.abs(max) < GROUP_MAX_EPS) {
      subScales.push(0);
      continue;
    }
    const inverse = f32(-32 / max);
    sub.forEach((v, l) => (quants[16 * s + l] = 32 + clamp(roundHalfToEven(f32(inverse * v)), -32, 31)));
    subScales.push(f32(1 / inverse));
  }
  const maxScale = subScales.reduce((best, s) => (Math.abs(s) > Math.abs(best) ? s : best), 0);
  if (Math.abs(maxScale) < GROUP_MAX_EPS) return; // all-zero bytes: d = 0
  const inverse = f32(-128 / maxScale);
  const d = storedHalf(block, 208, f32(1 / inverse));
  const scales = subScales.map((s) => Math.min(127, roundHalfToEven(f32(inverse * s))));
  scales.forEach((scale, s) => block.setInt8(192 + s, scale));
  for (let s = 0; s < 16; s++) {
    const step = f32(d * scales[s]!);
    if (!step) continue;
    for (let l = 0; l < 16; l++) {
      quants[16 * s + l] = 32 + clamp(roundHalfToEven(f32(x[16 * s + l]! / step)), -32, 31);
    }
  }
  // In each half of 128, element 32g + l: low nibble in ql[64h + 32(g & 1) + l] (high nibble for g ≥ 2),
  // top 2 bits at bit 2g of qh[32h + l].
  for (let h = 0; h < 2; h++) {
    for (let l = 0; l < 32; l++) {
      const q = [0, 1, 2, 3].map((g) => quants[128 * h + 32 * g + l]!);
      block.setUint8(64 * h + l, (q[0]! & 0x0f) | ((q[2]! & 0x0f) << 4));
      block.setUint8(64 * h + 32 + l, (q[1]! & 0x0f) | ((q[3]! & 0x0f) << 4));
      block.setUint8(
        128 + 32 * h + l,
        q.reduce((bits, value, g) => bits | ((value >> 4) << (2 * g)), 0),
      );
    }
  }
}
