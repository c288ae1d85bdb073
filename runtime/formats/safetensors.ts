// Weights in safetensors files, one file (model.safetensors) or shards listed by model.safetensors.index.json:
//
//   u64 little-endian N · N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}
//   · the data, with each tensor's offsets relative to the end of the header
//
// Opening reads only the headers, and checks each against its file: every tensor's extent inside the data,
// its byte length equal to its shape times its dtype's width. A tensor is read by byte range when asked for, a
// chunk at a time, so no buffer ever holds a whole file.

import { elementCount } from "../../foundation/text.js";
import path from "node:path";
import { ModelFormatError, ModelNotFoundError } from "../errors.js";
import { readJsonFile } from "./hf-dir.js";
import { fileSource, type ByteSource } from "./file-ranges.js";
import { ggmlTypeTraits, type Dequantizer } from "./ggml-types.js";

/** The dtypes the runtime decodes, with the ggml decoder of the same bit layout. */
const DECODERS: Readonly<Record<string, { bytes: number; decode: Dequantizer }>> = {
  F32: { bytes: 4, decode: ggmlTypeTraits("F32").dequantize! },
  F16: { bytes: 2, decode: ggmlTypeTraits("F16").dequantize! },
  BF16: { bytes: 2, decode: ggmlTypeTraits("BF16").dequantize! },
};

/** Element widths of the dtypes safetensors defines, for checking tensors the runtime never decodes. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** Real headers are a few hundred kilobytes; the format's own reference implementation refuses past 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;
const TENSOR_CHUNK_BYTES = 16 * 2 ** 20;
const SINGLE_FILE = "model.safetensors";
const INDEX_FILE = "model.safetensors.index.json";

interface TensorEntry {
  readonly file: string;
  readonly source: ByteSource;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly elementCount: number;
  /** Absolute, in the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export class SafetensorsWeights {
  private constructor(
    private readonly tensors: ReadonlyMap<string, TensorEntry>,
    /** Named in errors about tensors that no file has. */
    readonly location: string,
  ) {}

  /** The weights of an HF directory: its index's shards, or its one model.safetensors. */
  static open(dir: string): SafetensorsWeights {
    const indexFile = path.join(dir, INDEX_FILE);
    const index = readJsonFile(indexFile);
    if (index !== undefined) return SafetensorsWeights.openSharded(indexFile, index);
    const single = path.join(dir, SINGLE_FILE);
    const source = openIfPresent(single);
    if (source === undefined) {
      throw new ModelFormatError(
        `no weights: the directory has neither ${SINGLE_FILE} nor ${INDEX_FILE} (only safetensors weights are ` +
          `read; convert pytorch_model.bin with transformers' save_pretrained(..., safe_serialization=True))`,
        dir,
      );
    }
    return new SafetensorsWeights(readHeader(single, source), single);
  }

  private static openSharded(indexFile: string, index: unknown): SafetensorsWeights {
    const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
      throw new ModelFormatError("has no 'weight_map' object from tensor names to shard files", indexFile);
    }
    const dir = path.dirname(indexFile);
    const shards = new Map<string, ReadonlyMap<string, TensorEntry>>();
    const tensors = new Map<string, TensorEntry>();
    for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
      if (typeof shard !== "string" || shard !== path.basename(shard)) {
        throw new ModelFormatError(`maps tensor '${name}' to ${JSON.stringify(shard)}, not a file name`, indexFile);
      }
      let header = shards.get(shard);
      if (header === undefined) {
        const file = path.join(dir, shard);
        const source = openIfPresent(file);
        if (source === undefined)
          throw new ModelFormatError(`names shard '${shard}', which is not in the directory`, indexFile);
        header = readHeader(file, source);
        shards.set(shard, header);
      }
      const entry = header.get(name);
      if (entry === undefined)
        throw new ModelFormatError(`has no tensor '${name}', which ${INDEX_FILE} puts there`, path.join(dir, shard));
      tensors.set(name, entry);
    }
    return new SafetensorsWeights(tensors, dir);
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  parameterCount(): number {
    let count = 0;
    for (const tensor of this.tensors.values()) count += tensor.elementCount;
    return count;
  }

  /** How many tensors have each dtype, the most common first. */
  dtypeCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const { dtype } of this.tensors.values()) counts.set(dtype, (counts.get(dtype) ?? 0) + 1);
    return new Map([...counts].sort(([, a], [, b]) => b - a));
  }

  /** The tensor's values as float32, row-major; a tensor of another shape, or one not stored as floats, is an error. */
  readF32(name: string, shape: readonly number[]): Float32Array {
    const tensor = this.tensors.get(name);
    if (tensor === undefined) throw new ModelFormatError(`missing tensor '${name}'`, this.location);
    if (tensor.shape.length !== shape.length || tensor.shape.some((dim, i) => dim !== shape[i])) {
      throw new ModelFormatError(
        `tensor '${name}' has shape [${tensor.shape.join(", ")}], expected [${shape.join(", ")}]`,
        tensor.file,
      );
    }
    const decoder = DECODERS[tensor.dtype];
    if (decoder === undefined) {
      throw new ModelFormatError(
        `tensor '${name}' has dtype ${tensor.dtype}; weights must be ${Object.keys(DECODERS).join(", ")}`,
        tensor.file,
      );
    }
    const values = new Float32Array(tensor.elementCount);
    const elementsPerChunk = Math.floor(TENSOR_CHUNK_BYTES / decoder.bytes);
    tensor.source.reading((read) => {
      for (let first = 0; first < tensor.elementCount; first += elementsPerChunk) {
        const count = Math.min(elementsPerChunk, tensor.elementCount - first);
        const bytes = read(tensor.byteOffset + first * decoder.bytes, count * decoder.bytes, `tensor '${name}' data`);
        decoder.decode(bytes, values.subarray(first, first + count));
      }
    });
    return values;
  }
}

function openIfPresent(file: string): ByteSource | undefined {
  try {
    return fileSource(file);
  } catch (error) {
    if (error instanceof ModelNotFoundError) return undefined;
    throw error;
  }
}

function readHeader(file: string, source: ByteSource): Map<string, TensorEntry> {
  const fail = (message: string) => new ModelFormatError(message, file);
  if (source.size < 8)
    throw fail(
      `truncated: a safetensors file starts with an 8-byte header length, and this one has ${source.size} bytes`,
    );
  const { headerText, headerLength } = source.reading((read) => {
    const length = new DataView(read(0, 8, "the header length").slice().buffer).getBigUint64(0, true);
    if (length > BigInt(source.size - 8)) {
      throw fail(
        `corrupt: the header is ${length} bytes long but the file has only ${source.size - 8} bytes after its length`,
      );
    }
    if (length > BigInt(MAX_HEADER_BYTES))
      throw fail(`corrupt: a header of ${length} bytes is larger than any real one`);
    const bytes = read(8, Number(length), "the header");
    try {
      return { headerText: new TextDecoder("utf-8", { fatal: true }).decode(bytes), headerLength: Number(length) };
    } catch {
      throw fail("corrupt: the header is not valid UTF-8");
    }
  });
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (error) {
    throw fail(`corrupt: the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw fail("corrupt: the header is not a JSON object");
  const dataStart = 8 + headerLength;
  const dataLength = source.size - dataStart;
  const tensors = new Map<string, TensorEntry>();
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = (value ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const what = `tensor '${name}'`;
    if (typeof dtype !== "string" || DTYPE_BYTES[dtype] === undefined)
      throw fail(`corrupt: ${what} has dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
      throw fail(`corrupt: ${what} has shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw fail(`corrupt: ${what} has data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength)
      throw fail(`truncated: ${what} ends at data byte ${end} but the file holds ${dataLength} bytes of data`);
    const elements = elementCount(shape as number[]);
    if (elements * DTYPE_BYTES[dtype]! !== end - begin) {
      throw fail(`corrupt: ${what} of shape [${shape.join(", ")}] and dtype ${dtype} cannot take ${end - begin} bytes`);
    }
    tensors.set(name, {
      file,
      source,
      dtype,
      shape: shape as number[],
      elementCount: elements,
      byteOffset: dataStart + begin,
      byteLength: end - begin,
    });
  }
  return tensors;
}
