// Where a model's weights live while it is loaded: one file in a private temporary folder, which
// onnxruntime maps into memory as ONNX external data. Weights pass through JavaScript one tensor at a time
// (read, decoded or repacked, written), so the process never holds a second copy, sessions build in a fraction of a
// second, and every session of the model shares the one file. The folder goes when the model is disposed or
// the process exits.

import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FileSlice, TensorData } from "./architectures/config.js";

const WEIGHTS_FILE = "weights.bin";
const TENSOR_ALIGNMENT = 64;

/** Every store still open, removed at exit: a temporary folder must not outlive its process. */
const openStores = new Set<WeightStore>();
let exitHookInstalled = false;

export class WeightStore {
  /** The folder that sessions are created in: external data must lie inside the model's folder. */
  readonly dir: string;
  private fd: number | undefined;
  /** The file's length. */
  private size = 0;
  private stored = 0;

  constructor() {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "ptch-weights-"));
    this.fd = openSync(path.join(this.dir, WEIGHTS_FILE), "w");
    openStores.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once("exit", () => openStores.forEach((store) => store.close()));
    }
  }

  /** Bytes of weights stored (alignment aside): a test of how many copies a model makes. */
  get byteLength(): number {
    return this.stored;
  }

  /**
   * Appends a tensor to the weights file; the array may be dropped afterwards. Each starts at a multiple of 64
   * bytes, so that float32 data after a tensor of bytes stays aligned for onnxruntime's kernels.
   */
  put(values: Float32Array | Uint8Array): FileSlice {
    if (this.fd === undefined) throw new Error("WeightStore used after close()");
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const offset = Math.ceil(this.size / TENSOR_ALIGNMENT) * TENSOR_ALIGNMENT;
    let written = 0;
    while (written < bytes.length)
      written += writeSync(this.fd, bytes, written, bytes.length - written, offset + written);
    this.size = offset + bytes.length;
    this.stored += bytes.length;
    return { location: WEIGHTS_FILE, offset, length: bytes.length };
  }

  /** Removes the folder. Sessions built from it keep working: their mappings outlive the file's name. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    openStores.delete(this);
  }
}

export const isFileSlice = (data: TensorData): data is FileSlice => !(data instanceof Float32Array);
