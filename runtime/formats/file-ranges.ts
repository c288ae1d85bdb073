// Byte ranges of model files, read through a file descriptor: a model of many gigabytes is never read into one
// buffer, and only regular files are opened (a FIFO would block, /dev/zero never ends). Every failure is a
// ModelFormatError (ModelNotFoundError for a file that is not there) that names the file.

import { describeFileError } from "../../foundation/text.js";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { ModelFormatError, ModelNotFoundError } from "../errors.js";

/** Bytes [offset, offset + length) of the file, which lie inside it; valid until the reader's next call. */
export type RangeReader = (offset: number, length: number, what: string) => Uint8Array;

/** Where a model file's bytes come from: memory, or a file on disk that is open only while it is read. */
export interface ByteSource {
  readonly size: number;
  /** Runs `use` with a reader of byte ranges. */
  reading<T>(use: (read: RangeReader) => T): T;
}

export function memorySource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, reading: (use) => use((offset, length) => bytes.subarray(offset, offset + length)) };
}

/** Opens a regular file and takes its size from the open descriptor, so the size and the bytes cannot disagree. */
export function fileSource(path: string): ByteSource {
  const size = withOpenFile(path, (fd) => fstatSync(fd).size);
  return {
    size,
    reading: (use) =>
      withOpenFile(path, (fd) => {
        let buffer = new Uint8Array(0); // reused by every read of this opening
        return use((offset, length, what) => {
          if (buffer.length < length) buffer = new Uint8Array(length);
          const bytes = buffer.subarray(0, length);
          readFully(fd, bytes, offset, path, what);
          return bytes;
        });
      }),
  };
}

function withOpenFile<T>(path: string, use: (fd: number) => T): T {
  // Non-blocking: opening a FIFO with no writer would otherwise wait forever.
  const fd = withFileErrors(path, () => openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  try {
    const stats = withFileErrors(path, () => fstatSync(fd));
    if (stats.isDirectory()) throw new ModelFormatError("cannot read model file: is a directory", path);
    if (!stats.isFile()) throw new ModelFormatError("cannot read model file: it is not a regular file", path);
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/** One readSync call reads at most 2 GiB − 1 bytes; larger reads take several. */
const MAX_BYTES_PER_READ = 2 ** 30;

function readFully(fd: number, target: Uint8Array, position: number, path: string, what: string): void {
  for (let done = 0; done < target.length;) {
    const length = Math.min(target.length - done, MAX_BYTES_PER_READ);
    const read = withFileErrors(path, () => readSync(fd, target, done, length, position + done));
    if (read === 0) {
      throw new ModelFormatError(
        `truncated: the file ended at byte ${position + done} while reading ${what}; it changed after it was opened`,
        path,
      );
    }
    done += read;
  }
}

export function withFileErrors<T>(path: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    const message = `cannot read model file: ${describeFileError(error)}`;
    const absent = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw absent ? new ModelNotFoundError(message, path) : new ModelFormatError(message, path);
  }
}
