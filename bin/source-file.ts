// Reading a .ptch source named on the command line: only a regular text file, read in one bounded pass. A file
// that is not a source (a model given in its place, any binary, UTF-16, bytes that are not UTF-8) is refused in
// one line, before any of it reaches the lexer or the terminal.

import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { describeFileError } from "../foundation/text.js";
import { decodeUtf8, firstInvalidUtf8 } from "../foundation/utf8.js";

/** The largest source ptch reads: far beyond any experiment, small enough to lint in seconds. */
export const MAX_SOURCE_BYTES = 10 * 1024 * 1024;

/** A problem with a file given on the command line; its message names the file. */
export class SourceFileError extends Error {}

/** The file's text, or a SourceFileError saying why it is no .ptch source. */
export async function readSourceFile(name: string): Promise<string> {
  let bytes: Buffer;
  try {
    // Non-blocking, so that opening a FIFO with no writer returns at once instead of hanging.
    const handle = await open(name, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (stats.isDirectory()) throw new SourceFileError(`${name}: is a directory, not a .ptch source`);
      if (!stats.isFile()) throw new SourceFileError(`${name}: is not a regular file, not a .ptch source`);
      if (stats.size > MAX_SOURCE_BYTES) {
        throw new SourceFileError(`${name}: is ${stats.size} bytes; a .ptch source is at most ${MAX_SOURCE_BYTES}`);
      }
      bytes = Buffer.alloc(stats.size);
      let read = 0;
      while (read < bytes.length) {
        const { bytesRead } = await handle.read(bytes, read, bytes.length - read, read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      bytes = bytes.subarray(0, read);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof SourceFileError) throw error;
    throw new SourceFileError(`${name}: cannot read: ${describeFileError(error)}`);
  }
  const notText = whyNotText(bytes);
  if (notText) throw new SourceFileError(`${name}: ${notText}`);
  return bytes.toString("utf8");
}

/** Why these bytes are no UTF-8 text, or undefined when they are. */
export function whyNotText(bytes: Uint8Array): string | undefined {
  const starts = (text: string) => Buffer.from(bytes.subarray(0, text.length)).toString("latin1") === text;
  if (starts("GGUF")) return "is a GGUF model file, not a .ptch source; did you mean --model?";
  if (isSafetensors(bytes)) return "is a safetensors weights file, not a .ptch source; did you mean --model?";
  if (starts("\xff\xfe") || starts("\xfe\xff") || looksLikeUtf16(bytes)) {
    return "looks like UTF-16 text; ptch reads UTF-8: save the file as UTF-8";
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return `is a binary file (a NUL byte at offset ${nul}), not a .ptch source`;
  if (decodeUtf8(bytes) === undefined) return `is not valid UTF-8 (${invalidUtf8At(bytes)}); ptch reads UTF-8 text`;
  return undefined;
}

/** safetensors: an 8-byte little-endian header length, then that many bytes of JSON object. */
function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const headerLength = Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0);
  return headerLength > 1n && headerLength <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** ASCII in UTF-16 puts a NUL in every other byte; text in UTF-8 has none. */
function looksLikeUtf16(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 512);
  if (sample.length < 4) return false;
  let oddNuls = 0;
  let evenNuls = 0;
  sample.forEach((b, i) => {
    if (b === 0) i % 2 === 0 ? evenNuls++ : oddNuls++;
  });
  const half = sample.length / 2;
  return oddNuls > half * 0.8 || evenNuls > half * 0.8;
}

/** Where the first byte that is not part of valid UTF-8 is, as line:column of the text before it. */
function invalidUtf8At(bytes: Uint8Array): string {
  const offset = firstInvalidUtf8(bytes);
  const lines = Buffer.from(bytes.subarray(0, offset))
    .toString("utf8")
    .split(/\r\n|\r|\n/);
  const byte = bytes[offset]?.toString(16).padStart(2, "0") ?? "end of file";
  return `line ${lines.length}, column ${lines.at(-1)!.length + 1}: byte 0x${byte}`;
}
