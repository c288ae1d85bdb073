// The small JSON files of a Hugging Face model directory, above all config.json: which architecture, what shape.

import { existsSync } from "node:fs";
import { fileSource } from "./file-ranges.js";
import path from "node:path";
import { HfConfig } from "../architectures/architecture.js";
import { ModelFormatError } from "../errors.js";
import { decodeUtf8, describeInvalidUtf8 } from "../../foundation/utf8.js";

/** config.json files are a few kilobytes; anything far larger is not one. */
const MAX_CONFIG_BYTES = 16 * 2 ** 20;

/** Reads a small JSON file of a model directory; undefined when absent, an error naming the file when broken. */
export function readJsonFile(file: string, maxBytes: number = MAX_CONFIG_BYTES): unknown {
  if (!existsSync(file)) return undefined;
  // Through the model-file reader: only a regular file, its size from the open descriptor, reads bounded by it.
  const source = fileSource(file);
  if (source.size > maxBytes) {
    throw new ModelFormatError(`${source.size} bytes is too large for a JSON file of a model`, file);
  }
  const text = source.reading((read) => {
    const bytes = read(0, source.size, "the JSON");
    const decoded = decodeUtf8(bytes);
    if (decoded === undefined) throw new ModelFormatError(`not valid UTF-8 (${describeInvalidUtf8(bytes)})`, file);
    return decoded;
  });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(`not valid JSON: ${(error as Error).message}`, file);
  }
}

export function readHfConfig(dir: string): HfConfig {
  const file = path.join(dir, "config.json");
  const json = readJsonFile(file);
  if (json === undefined) {
    throw new ModelFormatError("a Hugging Face model directory needs a config.json, and this one has none", dir);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ModelFormatError("config.json is not a JSON object", file);
  }
  const architectures = (json as Record<string, unknown>)["architectures"];
  if (!Array.isArray(architectures) || typeof architectures[0] !== "string") {
    throw new ModelFormatError("config.json has no 'architectures' list naming the model class", file);
  }
  return new HfConfig(json as Record<string, unknown>, file);
}
