// Writes safetensors files for tests, from the published layout: a u64 little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}} (offsets relative to the end of the header), then the data.
// Written independently of runtime/formats/safetensors.ts.

import { bfloat16ToFloat, halfToFloat } from "../../runtime/formats/ggml-types.js";
import { floatToHalfBits } from "./ggml-quantize.js";

export type SafetensorsDtype = "F32" | "F16" | "BF16";

export interface SafetensorsTensor {
  name: string;
  /** Outermost first, as PyTorch lists it. */
  shape: readonly number[];
  dtype: SafetensorsDtype;
  /** Row-major values; stored rounded to `dtype`. */
  values: ArrayLike<number>;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

const f32Scratch = new Float32Array(1);
const f32Bits = new Uint32Array(f32Scratch.buffer);

/** bfloat16 bits of a number, rounded to nearest even as PyTorch's `.to(torch.bfloat16)` rounds. */
export function floatToBfloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const bits = f32Bits[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40; // NaN stays NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

function encodeValues(dtype: SafetensorsDtype, values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * BYTES_PER_ELEMENT[dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (dtype === "F32") view.setFloat32(4 * i, value, true);
    else view.setUint16(2 * i, dtype === "F16" ? floatToHalfBits(value) : floatToBfloat16Bits(value), true);
  }
  return bytes;
}

export interface SafetensorsOptions {
  /** Written as the header's "__metadata__" (string values only, as the format requires). */
  metadata?: Readonly<Record<string, string>>;
  /** Replaces the JSON header's text, for tests of broken headers. */
  headerText?: string;
  /** Overrides the header length field, for tests of lengths that overrun the file. */
  headerLength?: bigint;
}

export function writeSafetensors(tensors: readonly SafetensorsTensor[], options: SafetensorsOptions = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (options.metadata) header["__metadata__"] = options.metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of tensors) {
    const data = encodeValues(tensor.dtype, tensor.values);
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + data.length] };
    blobs.push(data);
    offset += data.length;
  }
  // The format pads the header with spaces so that the data starts 8-byte aligned.
  let headerText = options.headerText ?? JSON.stringify(header);
  while ((8 + Buffer.byteLength(headerText)) % 8 !== 0) headerText += " ";
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, options.headerLength ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

/** The values as `dtype` stores them, for references that must see what the file holds. */
export function roundTo(dtype: SafetensorsDtype, values: ArrayLike<number>): Float32Array {
  const bytes = encodeValues(dtype, values);
  const view = new DataView(bytes.buffer);
  return Float32Array.from({ length: values.length }, (_, i) =>
    dtype === "F32"
      ? view.getFloat32(4 * i, true)
      : (dtype === "F16" ? halfToFloat : bfloat16ToFloat)(view.getUint16(2 * i, true)),
  );
}
