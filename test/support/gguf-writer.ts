// Writes GGUF files (versions 2 and 3) for tests: any metadata, and tensors from f32 values (stored as f32, f16,
// bf16 or any type that ggml-quantize.ts quantizes to) or from raw bytes of any ggml type.
// Written independently of runtime/formats/gguf.ts's reading code; it shares only the type ids and value types.

import {
  GGUF_VALUE_TYPES,
  type GgufArray,
  type GgufArrayItem,
  type GgufValue,
  type GgufValueType,
} from "../../runtime/formats/gguf.js";
import { GgmlType } from "../../runtime/formats/ggml-types.js";
import { floatToHalfBits, quantize, type QuantizedTypeName } from "./ggml-quantize.js";

export { floatToHalfBits } from "./ggml-quantize.js";

/** The types a tensor can be written as from values; quantized ones need ne[0] a multiple of their block size. */
export type GgufValuesType = "F32" | "F16" | "BF16" | QuantizedTypeName;

export type GgufTensorSpec =
  | { name: string; dims: readonly number[]; type: GgufValuesType; values: ArrayLike<number> }
  /** Already-encoded data of any ggml type id, written as given. */
  | { name: string; dims: readonly number[]; type: number; bytes: Uint8Array };

export interface GgufSpec {
  version?: 2 | 3;
  /** Written in iteration order. A uint32 `general.alignment` sets the alignment of the tensor data (default 32). */
  metadata?: ReadonlyMap<string, GgufValue> | Readonly<Record<string, GgufValue>>;
  /** Each tensor's data starts at the next aligned offset after the previous one's. */
  tensors?: readonly GgufTensorSpec[];
}

/** Shorthands for metadata values. */
export const gv = {
  u32: (value: number): GgufValue => ({ type: "uint32", value }),
  i32: (value: number): GgufValue => ({ type: "int32", value }),
  f32: (value: number): GgufValue => ({ type: "float32", value: Math.fround(value) }),
  u64: (value: bigint): GgufValue => ({ type: "uint64", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  str: (value: string): GgufValue => ({ type: "string", value }),
  array: (elementType: GgufValueType, items: readonly GgufArrayItem[]): GgufArray => ({
    type: "array",
    elementType,
    items,
  }),
};

export function writeGguf(spec: GgufSpec): Uint8Array {
  const tensors = (spec.tensors ?? []).map(encodeTensor);
  const { out, alignment } = writeHeader(
    spec,
    tensors.map((t) => ({ ...t, byteLength: t.data.length })),
  );
  // No padding after the last tensor: readers must not need it, and tests truncate right after the data.
  for (const tensor of tensors) {
    out.padTo(alignment);
    out.bytes(tensor.data);
  }
  return out.finish();
}

/** A tensor of a header-only file: its data is a run of zero bytes of this length that is not written. */
export interface GgufTensorLayout {
  name: string;
  dims: readonly number[];
  type: number;
  byteLength: number;
}

/**
 * The header of a GGUF whose tensor data is left out, padded to where the data starts, and the whole file's
 * length: extended to that length (a sparse file), it is a valid GGUF of zero weights of any size.
 */
export function writeGgufHeader(spec: Omit<GgufSpec, "tensors"> & { tensors: readonly GgufTensorLayout[] }): {
  header: Uint8Array;
  fileLength: number;
} {
  const { out, alignment, dataSize } = writeHeader(spec, spec.tensors);
  out.padTo(alignment);
  const header = out.finish();
  return { header, fileLength: header.length + dataSize };
}

function writeHeader(
  spec: Omit<GgufSpec, "tensors">,
  tensors: readonly GgufTensorLayout[],
): { out: ByteSink; alignment: number; dataSize: number } {
  const metadata = spec.metadata instanceof Map ? [...spec.metadata] : Object.entries(spec.metadata ?? {});
  const alignmentValue = metadata.find(([key]) => key === "general.alignment")?.[1];
  const alignment = alignmentValue?.type === "uint32" ? alignmentValue.value : 32;

  const out = new ByteSink();
  out.bytes(new TextEncoder().encode("GGUF"));
  out.u32(spec.version ?? 3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const [key, value] of metadata) {
    out.string(key);
    out.u32(GGUF_VALUE_TYPES.indexOf(value.type));
    writeItem(out, value.type, value.type === "array" ? value : value.value);
  }
  let dataSize = 0;
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(tensor.type);
    out.u64(dataSize);
    dataSize =
      tensor === tensors[tensors.length - 1]
        ? dataSize + tensor.byteLength
        : alignUp(dataSize + tensor.byteLength, alignment);
  }
  return { out, alignment, dataSize };
}

function writeItem(out: ByteSink, type: GgufValueType, item: GgufArrayItem): void {
  switch (type) {
    case "uint8":
      return out.u8(item as number);
    case "int8":
      return out.view(1).setInt8(0, item as number);
    case "uint16":
      return out.view(2).setUint16(0, item as number, true);
    case "int16":
      return out.view(2).setInt16(0, item as number, true);
    case "uint32":
      return out.u32(item as number);
    case "int32":
      return out.view(4).setInt32(0, item as number, true);
    case "float32":
      return out.view(4).setFloat32(0, item as number, true);
    case "float64":
      return out.view(8).setFloat64(0, item as number, true);
    case "uint64":
      return out.u64(item as bigint);
    case "int64":
      return out.view(8).setBigInt64(0, item as bigint, true);
    case "bool":
      return out.u8(item ? 1 : 0);
    case "string":
      return out.string(item as string);
    case "array": {
      const array = item as GgufArray;
      out.u32(GGUF_VALUE_TYPES.indexOf(array.elementType));
      out.u64(array.items.length);
      for (const element of array.items) writeItem(out, array.elementType, element);
    }
  }
}

function encodeTensor(spec: GgufTensorSpec): { name: string; dims: readonly number[]; type: number; data: Uint8Array } {
  const { name, dims } = spec;
  if ("bytes" in spec) return { name, dims, type: spec.type, data: spec.bytes };
  return { name, dims, type: GgmlType[spec.type], data: encodeValues(spec.type, spec.values) };
}

function encodeValues(type: GgufValuesType, values: ArrayLike<number>): Uint8Array {
  if (type !== "F32" && type !== "F16" && type !== "BF16") return quantize(type, values);
  const out = new ByteSink();
  for (let i = 0; i < values.length; i++) {
    if (type === "F32") out.view(4).setFloat32(0, values[i]!, true);
    else if (type === "F16") out.view(2).setUint16(0, floatToHalfBits(values[i]!), true);
    else out.view(2).setUint16(0, floatToBfloat16Bits(values[i]!), true);
  }
  return out.finish();
}

function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

const float32Bits = new DataView(new ArrayBuffer(4));

/** The bfloat16 nearest to `value` (ties to even) via its float32 rounding: the float32's high 16 bits, rounded. */
export function floatToBfloat16Bits(value: number): number {
  float32Bits.setFloat32(0, value);
  const bits = float32Bits.getUint32(0);
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40; // a NaN stays a (quiet) NaN
  const rounded = bits + 0x7fff + ((bits >>> 16) & 1); // a carry correctly bumps the exponent, up to infinity
  return (rounded >>> 16) & 0xffff;
}

/** A growable little-endian byte buffer; tests also use it to hand-craft malformed files. */
export class ByteSink {
  private buffer = new Uint8Array(256);
  length = 0;

  /** A DataView over the next `byteCount` bytes, which are claimed. */
  view(byteCount: number): DataView {
    if (this.length + byteCount > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + byteCount));
      grown.set(this.buffer);
      this.buffer = grown;
    }
    const view = new DataView(this.buffer.buffer, this.length, byteCount);
    this.length += byteCount;
    return view;
  }

  u8(value: number): void {
    this.view(1).setUint8(0, value);
  }

  u32(value: number): void {
    this.view(4).setUint32(0, value, true);
  }

  u64(value: number | bigint): void {
    this.view(8).setBigUint64(0, BigInt(value), true);
  }

  /** A GGUF string: u64 byte length, then UTF-8. */
  string(text: string): void {
    const utf8 = new TextEncoder().encode(text);
    this.u64(utf8.length);
    this.bytes(utf8);
  }

  bytes(data: Uint8Array): void {
    const target = this.view(data.length);
    new Uint8Array(target.buffer, target.byteOffset, data.length).set(data);
  }

  padTo(alignment: number): void {
    this.view(alignUp(this.length, alignment) - this.length);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
