// A reader for GGUF model files (versions 2 and 3, little-endian), written against the published format:
//
//   header        "GGUF" · u32 version · u64 tensor count · u64 metadata count
//   metadata      (string key · u32 value type · value) × metadata count
//   tensor infos  (string name · u32 n_dims · u64 ne[n_dims] · u32 ggml type · u64 offset) × tensor count
//   padding       up to a multiple of `general.alignment` (default 32): the start of the data section
//   tensor data   each tensor at data start + its offset
//
// Strings are a u64 byte length and UTF-8 bytes; arrays are a u32 element type, a u64 count and the elements.
// The reader trusts nothing in the file: every read is bounds-checked and every count is checked against the
// bytes left before anything is allocated, so a truncated or corrupt file fails with a ModelFormatError.

import { readFile } from "node:fs/promises";
import { ModelFormatError } from "../errors.js";

// ---------------------------------------------------------------------------------------------
// Metadata values

/** Metadata value types; a type's index in this list is its id in the file. */
export const GGUF_VALUE_TYPES = [
  "uint8",
  "int8",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "float32",
  "bool",
  "string",
  "array",
  "uint64",
  "int64",
  "float64",
] as const;

export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];
export type GgufNumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";
/** 64-bit integers are always bigints, so no value is ever silently rounded. */
export type GgufBigIntType = "uint64" | "int64";

/** A metadata value, tagged with its type in the file so it can be written back unchanged. */
export type GgufValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | GgufArray;

/** An array holds untagged items that all have `elementType`; an array of arrays holds GgufArrays. */
export interface GgufArray {
  readonly type: "array";
  readonly elementType: GgufValueType;
  readonly items: readonly GgufArrayItem[];
}

export type GgufArrayItem = number | bigint | boolean | string | GgufArray;

// ---------------------------------------------------------------------------------------------
// Tensor types

/** How a ggml tensor type packs its elements; `toFloat32` is absent until the runtime can decode that type. */
interface GgmlTypeLayout {
  readonly name: string;
  /** Elements per block; ne[0] of a tensor must be a multiple of it. */
  readonly blockSize: number;
  readonly bytesPerBlock: number;
  /** Decodes exactly one tensor's bytes (`elementCount` elements) to f32. */
  readonly toFloat32?: (data: Uint8Array, elementCount: number) => Float32Array;
}

/** ggml type ids that the runtime refers to by name. */
export const GgmlType = { F32: 0, F16: 1 } as const;

// Adding support for a type is one decoder function in its entry here.
const GGML_TYPE_LAYOUTS: ReadonlyMap<number, GgmlTypeLayout> = new Map([
  [0, { name: "F32", blockSize: 1, bytesPerBlock: 4, toFloat32: decodeF32 }],
  [1, { name: "F16", blockSize: 1, bytesPerBlock: 2, toFloat32: decodeF16 }],
  [2, { name: "Q4_0", blockSize: 32, bytesPerBlock: 18 }],
  [3, { name: "Q4_1", blockSize: 32, bytesPerBlock: 20 }],
  // 4 and 5 (Q4_2, Q4_3) were removed from ggml.
  [6, { name: "Q5_0", blockSize: 32, bytesPerBlock: 22 }],
  [7, { name: "Q5_1", blockSize: 32, bytesPerBlock: 24 }],
  [8, { name: "Q8_0", blockSize: 32, bytesPerBlock: 34 }],
  [9, { name: "Q8_1", blockSize: 32, bytesPerBlock: 36 }],
  [10, { name: "Q2_K", blockSize: 256, bytesPerBlock: 84 }],
  [11, { name: "Q3_K", blockSize: 256, bytesPerBlock: 110 }],
  [12, { name: "Q4_K", blockSize: 256, bytesPerBlock: 144 }],
  [13, { name: "Q5_K", blockSize: 256, bytesPerBlock: 176 }],
  [14, { name: "Q6_K", blockSize: 256, bytesPerBlock: 210 }],
  [15, { name: "Q8_K", blockSize: 256, bytesPerBlock: 292 }],
  [16, { name: "IQ2_XXS", blockSize: 256, bytesPerBlock: 66 }],
  [17, { name: "IQ2_XS", blockSize: 256, bytesPerBlock: 74 }],
  [18, { name: "IQ3_XXS", blockSize: 256, bytesPerBlock: 98 }],
  [19, { name: "IQ1_S", blockSize: 256, bytesPerBlock: 50 }],
  [20, { name: "IQ4_NL", blockSize: 32, bytesPerBlock: 18 }],
  [21, { name: "IQ3_S", blockSize: 256, bytesPerBlock: 110 }],
  [22, { name: "IQ2_S", blockSize: 256, bytesPerBlock: 82 }],
  [23, { name: "IQ4_XS", blockSize: 256, bytesPerBlock: 136 }],
  [24, { name: "I8", blockSize: 1, bytesPerBlock: 1 }],
  [25, { name: "I16", blockSize: 1, bytesPerBlock: 2 }],
  [26, { name: "I32", blockSize: 1, bytesPerBlock: 4 }],
  [27, { name: "I64", blockSize: 1, bytesPerBlock: 8 }],
  [28, { name: "F64", blockSize: 1, bytesPerBlock: 8 }],
  [29, { name: "IQ1_M", blockSize: 256, bytesPerBlock: 56 }],
  [30, { name: "BF16", blockSize: 1, bytesPerBlock: 2 }],
  // 31–33 (Q4_0_4_4, Q4_0_4_8, Q4_0_8_8) were removed from ggml.
  [34, { name: "TQ1_0", blockSize: 256, bytesPerBlock: 54 }],
  [35, { name: "TQ2_0", blockSize: 256, bytesPerBlock: 66 }],
  // 36–38 (IQ4_NL_4_4, IQ4_NL_4_8, IQ4_NL_8_8) were removed from ggml.
  [39, { name: "MXFP4", blockSize: 32, bytesPerBlock: 17 }],
]);

const DECODABLE_TYPE_NAMES = [...GGML_TYPE_LAYOUTS.values()]
  .filter((layout) => layout.toFloat32 !== undefined)
  .map((layout) => layout.name)
  .join(", ");

function decodeF32(data: Uint8Array, elementCount: number): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const values = new Float32Array(elementCount);
  for (let i = 0; i < elementCount; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}

function decodeF16(data: Uint8Array, elementCount: number): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const values = new Float32Array(elementCount);
  for (let i = 0; i < elementCount; i++) values[i] = halfToFloat(view.getUint16(i * 2, true));
  return values;
}

/** IEEE 754 binary16 bits to a number; exact, including signed zeros, subnormals and infinities. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal: no implicit leading 1
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

// ---------------------------------------------------------------------------------------------
// The parsed file

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml's ne: element counts per dimension, fastest-varying first (a [rows, cols] matrix is [cols, rows]). */
  readonly dims: readonly number[];
  readonly elementCount: number;
  /** ggml type id; see `typeName`. */
  readonly type: number;
  readonly typeName: string;
  /** Absolute position of the tensor's first byte in the file (the data section start plus the stored offset). */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export class GgufFile {
  /** @internal Use readGguf or loadGguf. */
  constructor(
    readonly version: number,
    readonly metadata: ReadonlyMap<string, GgufValue>,
    /** In file order. */
    readonly tensors: ReadonlyMap<string, GgufTensorInfo>,
    /** Alignment of the data section and of every tensor's offset in it. */
    readonly alignment: number,
    private readonly bytes: Uint8Array,
    readonly fileName?: string,
  ) {}

  has(key: string): boolean {
    return this.metadata.has(key);
  }

  // The typed getters throw a ModelFormatError when the key is missing or holds another type.

  getString(key: string): string {
    return this.typedValue(key, "a string", asString);
  }

  /** Any numeric type; a 64-bit integer must be exactly representable as a number. */
  getNumber(key: string): number {
    return this.typedValue(key, "a number", asNumber);
  }

  getBool(key: string): boolean {
    return this.typedValue(key, "a bool", asBool);
  }

  getStringArray(key: string): readonly string[] {
    return this.typedValue(key, "an array of strings", asStringArray);
  }

  getNumberArray(key: string): readonly number[] {
    return this.typedValue(key, "an array of numbers", asNumberArray);
  }

  tensorInfo(name: string): GgufTensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined) throw new ModelFormatError(`missing tensor '${name}'`, this.fileName);
    return info;
  }

  /**
   * A copy of the tensor's elements as f32, in ggml order (dims[0] varies fastest).
   * With `expectedDims`, a tensor of any other shape is a ModelFormatError.
   */
  tensorF32(name: string, expectedDims?: readonly number[]): Float32Array {
    const info = this.tensorInfo(name);
    if (expectedDims !== undefined && !sameDims(info.dims, expectedDims)) {
      throw new ModelFormatError(
        `tensor '${name}' has shape [${info.dims.join(", ")}], expected [${expectedDims.join(", ")}]`,
        this.fileName,
      );
    }
    const decode = GGML_TYPE_LAYOUTS.get(info.type)?.toFloat32;
    if (decode === undefined) {
      throw new ModelFormatError(
        `tensor '${name}' has type ${info.typeName}, which this runtime cannot read yet (supported: ${DECODABLE_TYPE_NAMES})`,
        this.fileName,
      );
    }
    return decode(this.bytes.subarray(info.byteOffset, info.byteOffset + info.byteLength), info.elementCount);
  }

  private typedValue<T>(key: string, expected: string, convert: (value: GgufValue) => T | undefined): T {
    const value = this.metadata.get(key);
    if (value === undefined) throw new ModelFormatError(`missing metadata key '${key}'`, this.fileName);
    const converted = convert(value);
    if (converted === undefined) {
      throw new ModelFormatError(
        `metadata key '${key}' is ${describeValue(value)}, expected ${expected}`,
        this.fileName,
      );
    }
    return converted;
  }
}

function sameDims(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((dim, i) => dim === expected[i]);
}

function asString(value: GgufValue): string | undefined {
  return value.type === "string" ? value.value : undefined;
}

function asBool(value: GgufValue): boolean | undefined {
  return value.type === "bool" ? value.value : undefined;
}

function asNumber(value: GgufValue): number | undefined {
  switch (value.type) {
    case "uint64":
    case "int64":
      return bigIntToSafeNumber(value.value);
    case "bool":
    case "string":
    case "array":
      return undefined;
    default:
      return value.value;
  }
}

function asStringArray(value: GgufValue): readonly string[] | undefined {
  return value.type === "array" && value.elementType === "string" ? (value.items as readonly string[]) : undefined;
}

function asNumberArray(value: GgufValue): readonly number[] | undefined {
  if (value.type !== "array") return undefined;
  if (value.elementType === "uint64" || value.elementType === "int64") {
    const numbers = (value.items as readonly bigint[]).map(bigIntToSafeNumber);
    return numbers.every((n) => n !== undefined) ? (numbers as number[]) : undefined;
  }
  const isNumeric = value.elementType !== "bool" && value.elementType !== "string" && value.elementType !== "array";
  return isNumeric ? (value.items as readonly number[]) : undefined;
}

function bigIntToSafeNumber(value: bigint): number | undefined {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : undefined;
}

/** For error messages: "uint32 5", "string 'llama'", "array of string (512 items)". */
function describeValue(value: GgufValue): string {
  switch (value.type) {
    case "array":
      return `array of ${value.elementType} (${value.items.length} items)`;
    case "string":
      return `string ${quote(value.value)}`;
    default:
      return `${value.type} ${value.value}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

const DEFAULT_ALIGNMENT = 32;
/** ggml tensors have at most 4 dimensions. */
const MAX_TENSOR_DIMS = 4;
/** Real files never nest arrays deeply; the limit keeps a corrupt file from exhausting the stack. */
const MAX_ARRAY_NESTING = 16;
/** The fewest bytes an encoded item can take, for checking counts before allocating. */
const MIN_METADATA_ENTRY_BYTES = 8 + 4 + 1; // empty key, type, smallest value
const MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8; // empty name, n_dims = 0, type, offset
const MIN_VALUE_BYTES: Readonly<Record<GgufValueType, number>> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  string: 8,
  array: 4 + 8,
  uint64: 8,
  int64: 8,
  float64: 8,
};

/** Reads a whole GGUF file from memory. The returned GgufFile keeps `bytes` for tensor data. */
export function readGguf(bytes: Uint8Array, fileName?: string): GgufFile {
  const input = new ByteCursor(bytes, fileName);
  const version = readHeaderVersion(input);
  const tensorCount = input.count("tensor count", MIN_TENSOR_INFO_BYTES);
  const metadataCount = input.count("metadata count", MIN_METADATA_ENTRY_BYTES);

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < metadataCount; i++) {
    const key = input.string(`key of metadata entry #${i}`);
    if (metadata.has(key)) throw input.error(`corrupt: metadata key '${key}' appears twice`);
    const type = input.valueType(`type of metadata key '${key}'`);
    metadata.set(key, readValue(input, type, `metadata key '${key}'`, 0));
  }

  const alignment = readAlignment(metadata, input);
  const rawInfos: RawTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) rawInfos.push(readTensorInfo(input, i));

  const dataStart = alignUp(input.offset, alignment);
  const tensors = new Map<string, GgufTensorInfo>();
  for (const raw of rawInfos) {
    if (tensors.has(raw.name)) throw input.error(`corrupt: tensor '${raw.name}' appears twice`);
    tensors.set(raw.name, placeTensor(raw, dataStart, alignment, input));
  }
  return new GgufFile(version, metadata, tensors, alignment, bytes, fileName);
}

/** Reads a GGUF file from disk; an unreadable file is a ModelFormatError like any other unusable model. */
export async function loadGguf(path: string): Promise<GgufFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ModelFormatError(`cannot read model file: ${describeReadFailure(error)}`, path);
  }
  return readGguf(bytes, path);
}

function describeReadFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

const GGUF_MAGIC = "GGUF";

function readHeaderVersion(input: ByteCursor): number {
  const { bytes } = input;
  const magic = String.fromCharCode(...bytes.subarray(0, GGUF_MAGIC.length));
  if (magic !== GGUF_MAGIC) {
    if (bytes.length === 0) throw input.error("not a GGUF file (the file is empty)");
    if (bytes.length < GGUF_MAGIC.length && GGUF_MAGIC.startsWith(magic)) {
      throw input.error(`truncated: the file has only ${bytes.length} bytes`);
    }
    throw input.error(`not a GGUF file (magic is '${escapeBytes(magic)}')`);
  }
  input.offset = GGUF_MAGIC.length;
  const versionAt = input.offset;
  const version = input.u32("version");
  if (version === 2 || version === 3) return version;
  if (version === 1) throw input.error("GGUF version 1 is not supported (only versions 2 and 3)");
  // A big-endian file has the same magic bytes but its numbers, the version included, byte-swapped.
  const bigEndianVersion = input.view.getUint32(versionAt, false);
  if (bigEndianVersion === 2 || bigEndianVersion === 3) throw input.error("big-endian GGUF files are not supported");
  throw input.error(`unsupported GGUF version ${version} (only versions 2 and 3)`);
}

function readValue(input: ByteCursor, type: GgufValueType, what: string, nesting: number): GgufValue {
  if (type === "array") return readArray(input, what, nesting);
  const value = readArrayItem(input, type, what, nesting);
  return { type, value } as GgufValue;
}

function readArray(input: ByteCursor, what: string, nesting: number): GgufArray {
  if (nesting >= MAX_ARRAY_NESTING) {
    throw input.error(`corrupt: ${what} nests arrays more than ${MAX_ARRAY_NESTING} deep`);
  }
  const elementType = input.valueType(`element type of ${what}`);
  const count = input.count(`element count of ${what}`, MIN_VALUE_BYTES[elementType]);
  const items: GgufArrayItem[] = new Array(count);
  for (let i = 0; i < count; i++) items[i] = readArrayItem(input, elementType, `${what}[${i}]`, nesting + 1);
  return { type: "array", elementType, items };
}

function readArrayItem(input: ByteCursor, type: GgufValueType, what: string, nesting: number): GgufArrayItem {
  switch (type) {
    case "uint8":
      return input.u8(what);
    case "int8":
      return input.view.getInt8(input.advance(1, what));
    case "uint16":
      return input.view.getUint16(input.advance(2, what), true);
    case "int16":
      return input.view.getInt16(input.advance(2, what), true);
    case "uint32":
      return input.u32(what);
    case "int32":
      return input.view.getInt32(input.advance(4, what), true);
    case "float32":
      return input.view.getFloat32(input.advance(4, what), true);
    case "float64":
      return input.view.getFloat64(input.advance(8, what), true);
    case "uint64":
      return input.u64(what);
    case "int64":
      return input.view.getBigInt64(input.advance(8, what), true);
    case "bool": {
      const byte = input.u8(what);
      if (byte > 1) throw input.error(`corrupt: ${what} is a bool with the invalid value ${byte}`);
      return byte === 1;
    }
    case "string":
      return input.string(what);
    case "array":
      return readArray(input, what, nesting);
  }
}

function readAlignment(metadata: ReadonlyMap<string, GgufValue>, input: ByteCursor): number {
  const value = metadata.get("general.alignment");
  if (value === undefined) return DEFAULT_ALIGNMENT;
  const alignment = asNumber(value);
  if (alignment === undefined || alignment < 1 || !Number.isInteger(Math.log2(alignment))) {
    throw input.error(`corrupt: general.alignment is ${describeValue(value)}, expected a power of two`);
  }
  return alignment;
}

interface RawTensorInfo {
  readonly name: string;
  readonly dims: readonly bigint[];
  readonly type: number;
  readonly relativeOffset: bigint;
}

function readTensorInfo(input: ByteCursor, index: number): RawTensorInfo {
  const name = input.string(`name of tensor #${index}`);
  const what = `tensor '${name}'`;
  const dimCount = input.u32(`dimension count of ${what}`);
  if (dimCount > MAX_TENSOR_DIMS) {
    throw input.error(`corrupt: ${what} has ${dimCount} dimensions (at most ${MAX_TENSOR_DIMS})`);
  }
  const dims: bigint[] = [];
  for (let d = 0; d < dimCount; d++) {
    const dim = input.u64(`dimension ${d} of ${what}`);
    // A zero elsewhere would make the tensor empty and let an absurd dimension through the size check.
    if (dim > BigInt(Number.MAX_SAFE_INTEGER)) throw input.error(`corrupt: dimension ${d} of ${what} is ${dim}`);
    dims.push(dim);
  }
  const type = input.u32(`type of ${what}`);
  const relativeOffset = input.u64(`data offset of ${what}`);
  return { name, dims, type, relativeOffset };
}

/** Resolves a tensor's position in the file and checks that its data lies inside it. */
function placeTensor(raw: RawTensorInfo, dataStart: number, alignment: number, input: ByteCursor): GgufTensorInfo {
  const what = `tensor '${raw.name}'`;
  const layout = GGML_TYPE_LAYOUTS.get(raw.type);
  if (layout === undefined) throw input.error(`corrupt: ${what} has unknown ggml type id ${raw.type}`);
  const rowLength = raw.dims[0] ?? 1n;
  if (rowLength % BigInt(layout.blockSize) !== 0n) {
    throw input.error(
      `corrupt: ${what} has type ${layout.name} but its first dimension ${rowLength} is not a multiple of ${layout.blockSize}`,
    );
  }
  if (raw.relativeOffset % BigInt(alignment) !== 0n) {
    throw input.error(
      `corrupt: ${what} has data offset ${raw.relativeOffset}, not a multiple of the alignment ${alignment}`,
    );
  }
  // Sizes are computed in bigint and only become numbers once known to fit inside the file.
  const elementCount = raw.dims.reduce((product, dim) => product * dim, 1n);
  const byteLength = (elementCount / BigInt(layout.blockSize)) * BigInt(layout.bytesPerBlock);
  const start = BigInt(dataStart) + raw.relativeOffset;
  const end = start + byteLength;
  if (end > BigInt(input.bytes.length)) throw input.truncated(`${what} data`, end);
  return {
    name: raw.name,
    dims: raw.dims.map(Number),
    elementCount: Number(elementCount),
    type: raw.type,
    typeName: layout.name,
    byteOffset: Number(start),
    byteLength: Number(byteLength),
  };
}

function alignUp(offset: number, alignment: number): number {
  return Math.ceil(offset / alignment) * alignment;
}

/** Raw bytes (one char per byte) with everything but printable ASCII as \xNN. */
function escapeBytes(byteString: string): string {
  return byteString.replace(/[^\x20-\x7e]/g, hexEscape);
}

/** Single-quoted text for a message, control characters escaped and long text cut short. */
function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `'${shown.replace(/[\x00-\x1f\x7f-\x9f]/g, hexEscape)}'`;
}

function hexEscape(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`;
}

/** A read position over the file that turns every out-of-bounds read into a ModelFormatError. */
class ByteCursor {
  readonly view: DataView;
  offset = 0;
  private static readonly utf8 = new TextDecoder("utf-8", { ignoreBOM: true }); // a leading U+FEFF is content

  constructor(
    readonly bytes: Uint8Array,
    private readonly fileName: string | undefined,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  error(message: string): ModelFormatError {
    return new ModelFormatError(message, this.fileName);
  }

  truncated(what: string, end: number | bigint): ModelFormatError {
    return this.error(`truncated: ${what} ends at byte ${end} but the file has ${this.bytes.length} bytes`);
  }

  /** Claims the next `byteCount` bytes and returns where they start. */
  advance(byteCount: number, what: string): number {
    const start = this.offset;
    const end = start + byteCount;
    if (end > this.bytes.length) throw this.truncated(what, end);
    this.offset = end;
    return start;
  }

  u8(what: string): number {
    return this.view.getUint8(this.advance(1, what));
  }

  u32(what: string): number {
    return this.view.getUint32(this.advance(4, what), true);
  }

  u64(what: string): bigint {
    return this.view.getBigUint64(this.advance(8, what), true);
  }

  /** A u64 count of items of at least `minBytesEach` bytes, rejected unless that many could fit in the rest of the file. */
  count(what: string, minBytesEach: number): number {
    const count = this.u64(what);
    const remaining = this.bytes.length - this.offset;
    const needed = count * BigInt(minBytesEach);
    if (needed > BigInt(remaining)) {
      throw this.error(
        `truncated or corrupt: ${what} ${count} needs at least ${needed} bytes but only ${remaining} follow byte ${this.offset}`,
      );
    }
    return Number(count);
  }

  valueType(what: string): GgufValueType {
    const id = this.u32(what);
    const type = GGUF_VALUE_TYPES[id];
    if (type === undefined) throw this.error(`corrupt: ${what} is ${id}, which is not a GGUF value type`);
    return type;
  }

  string(what: string): string {
    const length = this.u64(`length of ${what}`);
    if (length > BigInt(this.bytes.length - this.offset)) throw this.truncated(what, BigInt(this.offset) + length);
    const start = this.advance(Number(length), what);
    return ByteCursor.utf8.decode(this.bytes.subarray(start, this.offset));
  }
}
