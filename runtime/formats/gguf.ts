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
//
// Opening a file reads only its header, metadata and tensor infos (a few MB even for a model of many GB), and
// checks every tensor's extent against the file's size; a tensor's data is read from the file when asked for.

import { quotedFromFile } from "../../foundation/text.js";
import { decodeUtf8, describeInvalidUtf8 } from "../../foundation/utf8.js";
import { constants as bufferConstants } from "node:buffer";
import { ModelFormatError } from "../errors.js";
import { MAX_HYPERPARAMETER } from "../architectures/architecture.js";
import { fileSource, memorySource, type ByteSource } from "./file-ranges.js";
import { DECODABLE_GGML_TYPES, GGML_TYPES, type GgmlTypeName } from "./ggml-types.js";

export { halfToFloat } from "./ggml-types.js";

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
// The parsed file

export interface GgufTensorInfo {
  readonly name: string;
  /** ggml's ne: element counts per dimension, fastest-varying first (a [rows, cols] matrix is [cols, rows]). */
  readonly dims: readonly number[];
  readonly elementCount: number;
  /** ggml type id; see `typeName`. */
  readonly type: number;
  readonly typeName: GgmlTypeName;
  /** Absolute position of the tensor's first byte in the file (the data section start plus the stored offset). */
  readonly byteOffset: number;
  readonly byteLength: number;
}

/**
 * A block-quantized matrix as MatMulNBits reads it (blocks of `blockSize` along a row): per row, its blocks' codes;
 * one scale per block, and one offset per block where the type has them.
 */
export interface NBitsTensor {
  readonly bits: 4 | 8;
  readonly blockSize: number;
  /** How MatMulNBits computes with them (NBitsLayout). */
  readonly accuracyLevel: 0 | 4;
  readonly codes: Uint8Array;
  readonly scales: Float32Array;
  readonly offsets?: Float32Array;
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
    private readonly source: ByteSource,
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

  /** A size or count: a whole number from 1 to `max` (a layer count of 2.5, 0 or NaN is no model). */
  getCount(key: string, max: number = MAX_HYPERPARAMETER): number {
    const value = this.getNumber(key);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new ModelFormatError(
        `${quotedFromFile(key)} is ${value}, not a whole number from 1 to ${max}`,
        this.fileName,
      );
    }
    return value;
  }

  /** An epsilon or a base: a positive finite number. */
  getPositive(key: string): number {
    const value = this.getNumber(key);
    if (!Number.isFinite(value) || value <= 0) {
      throw new ModelFormatError(`${quotedFromFile(key)} is ${value}, not a positive finite number`, this.fileName);
    }
    return value;
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

  /** The tensor types in the file with how many tensors have each, the most common first (ties in file order). */
  tensorTypeCounts(): Map<GgmlTypeName, number> {
    const counts = new Map<GgmlTypeName, number>();
    for (const { typeName } of this.tensors.values()) counts.set(typeName, (counts.get(typeName) ?? 0) + 1);
    return new Map([...counts].sort(([, a], [, b]) => b - a));
  }

  /**
   * The tensor's elements decoded to f32, in ggml order (dims[0] varies fastest), read from the file now.
   * With `expectedDims`, a tensor of any other shape is a ModelFormatError.
   */
  tensorF32(name: string, expectedDims?: readonly number[]): Float32Array {
    const info = this.shapedTensorInfo(name, expectedDims);
    const type = GGML_TYPES.get(info.type)!; // placeTensor admitted only known types
    const decode = type.dequantize;
    if (decode === undefined) {
      throw new ModelFormatError(
        `tensor '${name}' has type ${type.name}, which this runtime cannot read yet (supported: ${DECODABLE_GGML_TYPES.join(", ")})`,
        this.fileName,
      );
    }
    if (info.elementCount > MAX_F32_ELEMENTS) {
      throw new ModelFormatError(
        `tensor '${name}' has ${info.elementCount} elements, more than the ${MAX_F32_ELEMENTS} that one f32 array can hold`,
        this.fileName,
      );
    }
    const values = new Float32Array(info.elementCount);
    // Whole blocks a chunk at a time, so a quantized tensor never has all its raw bytes in memory besides its floats.
    const blockCount = info.elementCount / type.blockSize;
    const blocksPerChunk = Math.max(1, Math.floor(TENSOR_CHUNK_BYTES / type.bytesPerBlock));
    this.source.reading((read) => {
      for (let block = 0; block < blockCount; block += blocksPerChunk) {
        const blocks = Math.min(blocksPerChunk, blockCount - block);
        const start = info.byteOffset + block * type.bytesPerBlock;
        const bytes = read(start, blocks * type.bytesPerBlock, `tensor '${name}' data`);
        decode(bytes, values.subarray(block * type.blockSize, (block + blocks) * type.blockSize));
      }
    });
    return values;
  }

  /**
   * The tensor's blocks as onnxruntime's MatMulNBits holds them (see NBitsLayout), read from the file now, when
   * its type is one a graph can keep quantized; undefined for every other type. `expectedDims` as for tensorF32.
   */
  tensorNBits(name: string, expectedDims?: readonly number[]): NBitsTensor | undefined {
    const info = this.shapedTensorInfo(name, expectedDims);
    const type = GGML_TYPES.get(info.type)!;
    const layout = type.nBits;
    if (layout === undefined) return undefined;
    const blockCount = info.elementCount / type.blockSize;
    const codeBytesPerBlock = (type.blockSize * layout.bits) / 8;
    const scalesPerBlock = type.blockSize / layout.blockSize;
    const codes = new Uint8Array(blockCount * codeBytesPerBlock);
    const scales = new Float32Array(blockCount * scalesPerBlock);
    // Empty for a type without offsets: its repacker writes none (and every subarray of it is empty too).
    const offsets = new Float32Array(layout.withOffsets ? scales.length : 0);
    const blocksPerChunk = Math.max(1, Math.floor(TENSOR_CHUNK_BYTES / type.bytesPerBlock));
    this.source.reading((read) => {
      for (let block = 0; block < blockCount; block += blocksPerChunk) {
        const end = Math.min(block + blocksPerChunk, blockCount);
        const bytes = read(
          info.byteOffset + block * type.bytesPerBlock,
          (end - block) * type.bytesPerBlock,
          `tensor '${name}' data`,
        );
        layout.repack(
          bytes,
          codes.subarray(block * codeBytesPerBlock, end * codeBytesPerBlock),
          scales.subarray(block * scalesPerBlock, end * scalesPerBlock),
          offsets.subarray(block * scalesPerBlock, end * scalesPerBlock),
        );
      }
    });
    const { bits, blockSize, accuracyLevel } = layout;
    return { bits, blockSize, accuracyLevel, codes, scales, ...(layout.withOffsets ? { offsets } : {}) };
  }

  /** The tensor's info, checked to have `expectedDims` (ggml order) when given. */
  private shapedTensorInfo(name: string, expectedDims: readonly number[] | undefined): GgufTensorInfo {
    const info = this.tensorInfo(name);
    if (expectedDims !== undefined && !sameDims(info.dims, expectedDims)) {
      throw new ModelFormatError(
        `tensor '${name}' has shape [${info.dims.join(", ")}], expected [${expectedDims.join(", ")}]`,
        this.fileName,
      );
    }
    return info;
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
/** Typed arrays of any element type hold at most this many elements. */
const MAX_F32_ELEMENTS = bufferConstants.MAX_LENGTH;
/** How much raw tensor data is read and decoded at a time. */
const TENSOR_CHUNK_BYTES = 16 * 2 ** 20;
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

/** Reads a GGUF file held in memory; the GgufFile reads tensor data from `bytes` when asked for it. */
export function readGguf(bytes: Uint8Array, fileName?: string): GgufFile {
  return openGguf(memorySource(bytes), fileName);
}

/**
 * Opens a GGUF file on disk, reading only its header, metadata and tensor infos; tensor data is read when asked for.
 * An unreadable file is a ModelFormatError like any other unusable model.
 */
export async function loadGguf(path: string): Promise<GgufFile> {
  return openGguf(fileSource(path), path);
}

/** The first read of a file; real headers are larger only with big vocabularies, and then a few MB. */
const FIRST_HEADER_READ_BYTES = 2 ** 20;
/** Far more than any real model's metadata and tensor infos; a header claiming more is corrupt. */
const MAX_HEADER_BYTES = 2 ** 28;

/**
 * Parses the header from a prefix of the source, reading a longer prefix (at least double) whenever parsing runs
 * past the end of the one it has. Every check is against the size of the whole source, never the prefix.
 */
function openGguf(source: ByteSource, fileName: string | undefined): GgufFile {
  const header = source.reading((read) => {
    let prefixLength = Math.min(FIRST_HEADER_READ_BYTES, source.size);
    for (;;) {
      try {
        return readHeader(new ByteCursor(read(0, prefixLength, "the header"), source.size, fileName));
      } catch (error) {
        if (!(error instanceof PrefixTooShort)) throw error;
        if (error.end > MAX_HEADER_BYTES) {
          throw new ModelFormatError(
            `corrupt: ${error.what} ends at byte ${error.end}, but metadata and tensor infos past ${MAX_HEADER_BYTES / 2 ** 20} MiB are not supported`,
            fileName,
          );
        }
        prefixLength = Math.min(source.size, Math.max(2 * prefixLength, error.end));
      }
    }
  });
  return new GgufFile(header.version, header.metadata, header.tensors, header.alignment, source, fileName);
}

interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly tensors: ReadonlyMap<string, GgufTensorInfo>;
  readonly alignment: number;
}

function readHeader(input: ByteCursor): GgufHeader {
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
  return { version, metadata, tensors, alignment };
}

const GGUF_MAGIC = "GGUF";

function readHeaderVersion(input: ByteCursor): number {
  const { bytes, fileSize } = input;
  const magic = String.fromCharCode(...bytes.subarray(0, GGUF_MAGIC.length));
  if (magic !== GGUF_MAGIC) {
    if (fileSize === 0) throw input.error("not a GGUF file (the file is empty)");
    if (fileSize < GGUF_MAGIC.length && GGUF_MAGIC.startsWith(magic)) {
      throw input.error(`truncated: the file has only ${fileSize} bytes`);
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
  // Grown item by item: in a large file, a count that fits the file can still be far more than the header holds.
  const items: GgufArrayItem[] = [];
  for (let i = 0; i < count; i++) items.push(readArrayItem(input, elementType, `${what}[${i}]`, nesting + 1));
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
  const layout = GGML_TYPES.get(raw.type);
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
  if (end > BigInt(input.fileSize)) throw input.truncated(`${what} data`, end);
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

/** Thrown while parsing a prefix of the file when the parse needs bytes past it, up to `end`. */
class PrefixTooShort extends Error {
  constructor(
    readonly end: number,
    readonly what: string,
  ) {
    super(`${what} ends at byte ${end}, past the bytes read so far`);
  }
}

/**
 * A read position over a prefix of a file of `fileSize` bytes. A read past the end of the file is a
 * ModelFormatError; a read inside the file but past the prefix is a PrefixTooShort.
 */
class ByteCursor {
  readonly view: DataView;
  offset = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly fileSize: number,
    private readonly fileName: string | undefined,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  error(message: string): ModelFormatError {
    return new ModelFormatError(message, this.fileName);
  }

  truncated(what: string, end: number | bigint): ModelFormatError {
    return this.error(`truncated: ${what} ends at byte ${end} but the file has ${this.fileSize} bytes`);
  }

  /** Claims the next `byteCount` bytes and returns where they start. */
  advance(byteCount: number, what: string): number {
    const start = this.offset;
    const end = start + byteCount;
    if (end > this.fileSize) throw this.truncated(what, end);
    if (end > this.bytes.length) throw new PrefixTooShort(end, what);
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
    const remaining = this.fileSize - this.offset;
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
    if (length > BigInt(this.fileSize - this.offset)) throw this.truncated(what, BigInt(this.offset) + length);
    const start = this.advance(Number(length), what);
    const bytes = this.bytes.subarray(start, this.offset);
    const text = decodeUtf8(bytes);
    // GGUF strings are UTF-8; replacing bad bytes with U+FFFD would make two vocabulary tokens one, say.
    if (text === undefined) throw this.error(`corrupt: ${what} is not valid UTF-8 (${describeInvalidUtf8(bytes)})`);
    return text;
  }
}
