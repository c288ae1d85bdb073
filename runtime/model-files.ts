// Finding and opening models: bundled names, GGUF files, Hugging Face directories and hub ids in the local HF
// cache, and what can be known of them from headers and metadata alone. Nothing here loads onnxruntime or reads
// weights, so lint and `ptch model` open even a 7B-shaped file in about a second.

import { joinWords, quotedFromFile } from "../foundation/text.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { modelRef } from "../compiler/plan.js";
import type { ModelRef } from "../compiler/plan-ir.js";
import type { Architecture, HfConfig } from "./architectures/architecture.js";
import type { ModelConfig, TransformerWeights } from "./architectures/config.js";
import { ggufArchitecture, hfArchitecture } from "./architectures/registry.js";
import { ggufTensors, WeightReader, type TensorSource } from "./architectures/tensors.js";
import { ModelFormatError, ModelNotFoundError } from "./errors.js";
import { loadGguf } from "./formats/gguf.js";
import { readHfConfig } from "./formats/hf-dir.js";
import { SafetensorsWeights } from "./formats/safetensors.js";
import { tokenizerFromGguf, tokenizerFromHfDir } from "./tokenizers/open.js";
import type { Tokenizer } from "./tokenizers/tokenizer.js";
import type { WeightStore } from "./weight-store.js";

/** The package's root folder (package.json, models/), found from this file whether it runs from source or dist/. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "models")) || !existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find ptch's package folder (package.json beside models/)");
    dir = parent;
  }
  return dir;
}

const bundledModelsDir = () => path.join(packageRoot(), "models");

export function bundledModelNames(): string[] {
  return readdirSync(bundledModelsDir(), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A hub id as `from_pretrained` takes it: "gpt2", or "ORG/NAME". */
const HUB_ID = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

/** The hub caches to look in, in the order huggingface_hub itself resolves them. */
export function hubCacheDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs: string[] = [];
  if (env["HF_HUB_CACHE"]) dirs.push(env["HF_HUB_CACHE"]);
  if (env["HUGGINGFACE_HUB_CACHE"]) dirs.push(env["HUGGINGFACE_HUB_CACHE"]);
  if (env["HF_HOME"]) dirs.push(path.join(env["HF_HOME"], "hub"));
  const cacheHome = env["XDG_CACHE_HOME"] || path.join(os.homedir(), ".cache");
  dirs.push(path.join(cacheHome, "huggingface", "hub"));
  return [...new Set(dirs)];
}

/**
 * The snapshot directory of a hub id in the local cache: the revision refs/main names, else the newest snapshot
 * with a config.json. Undefined when no cache has it.
 */
function findInHubCache(id: string, cacheDirs: readonly string[]): string | undefined {
  const folder = `models--${id.replace("/", "--")}`;
  for (const cache of cacheDirs) {
    const repo = path.join(cache, folder);
    const snapshots = path.join(repo, "snapshots");
    if (!existsSync(snapshots)) continue;
    const mainRef = path.join(repo, "refs", "main");
    if (existsSync(mainRef)) {
      const revision = path.join(snapshots, readFileSync(mainRef, "utf8").trim());
      if (existsSync(path.join(revision, "config.json"))) return revision;
    }
    const candidates = readdirSync(snapshots)
      .map((name) => path.join(snapshots, name))
      .filter((dir) => existsSync(path.join(dir, "config.json")))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (candidates[0]) return candidates[0];
  }
  return undefined;
}

function notInHubCache(id: string, cacheDirs: readonly string[], bundled?: readonly string[]): ModelNotFoundError {
  const folder = `models--${id.replace("/", "--")}`;
  const bundledNote = bundled ? `it is not a bundled model (${bundled.join(", ")}), and ` : "";
  return new ModelNotFoundError(
    `cannot find model '${id}': ${bundledNote}no Hugging Face cache holds it (looked for ${folder}/snapshots in ` +
      `${cacheDirs.join(", ")}); ptch never downloads, so give the path of a local model directory or .gguf ` +
      `file, such as "./gpt2" after \`huggingface-cli download gpt2 --local-dir gpt2\`, or set HF_HUB_CACHE`,
  );
}

/** The file or directory a model reference names; `baseDir` anchors relative paths (the .ptch file's folder). */
export function resolveModelPath(ref: ModelRef, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  if (ref.kind === "bundled") {
    const known = bundledModelNames();
    if (known.includes(ref.name)) return path.join(bundledModelsDir(), ref.name, `${ref.name}.gguf`);
    const cacheDirs = hubCacheDirs(env);
    return findInHubCache(ref.name, cacheDirs) ?? throwError(notInHubCache(ref.name, cacheDirs, known));
  }
  const resolved = path.resolve(baseDir, ref.path);
  if (existsSync(resolved) || !HUB_ID.test(ref.path)) return resolved;
  // "EleutherAI/pythia-160m" reads as a relative path; where no such path exists, it is a hub id.
  const cacheDirs = hubCacheDirs(env);
  return findInHubCache(ref.path, cacheDirs) ?? throwError(notInHubCache(ref.path, cacheDirs));
}

function throwError(error: Error): never {
  throw error;
}

/** A model opened from its headers: everything but the weights, which `readWeights` reads on demand. */
export interface OpenedModel {
  /** The .gguf file or the HF directory. */
  path: string;
  format: "gguf" | "hf";
  config: ModelConfig;
  tokenizer: Tokenizer;
  /** Parameters stored in the file (a tied matrix once). */
  parameterCount: number;
  /** Tensors of each stored type ("F32", "Q4_K", "BF16", ...). */
  tensorTypes: ReadonlyMap<string, number>;
  /** Reads every weight into `store`, one tensor at a time. */
  readWeights(store: WeightStore): TransformerWeights;
}

function openGgufModel(file: string, gguf: Awaited<ReturnType<typeof loadGguf>>): OpenedModel {
  const architecture = ggufArchitecture(gguf.getString("general.architecture"), file);
  const config = architecture.configFromGguf!(gguf);
  const source = ggufTensors(gguf);
  return {
    path: file,
    format: "gguf",
    config,
    tokenizer: tokenizerFromGguf(gguf),
    parameterCount: [...gguf.tensors.values()].reduce((sum, t) => sum + t.elementCount, 0),
    tensorTypes: gguf.tensorTypeCounts(),
    readWeights: (store) => readAllWeights(source, store, (reader) => architecture.weightsFromGguf!(reader, config)),
  };
}

function openHfModel(dir: string): OpenedModel {
  const hf = readHfConfig(dir);
  const architecture: Architecture = hfArchitecture(hf.architecture, hf.file);
  const config = architecture.configFromHf!(hf);
  const weights = SafetensorsWeights.open(dir);
  const source: TensorSource = {
    file: dir,
    has: (name) => weights.has(name),
    names: () => weights.names(),
    read: (name, shape) => weights.readF32(name, shape),
  };
  return {
    path: dir,
    format: "hf",
    config,
    tokenizer: tokenizerFromHfDir(dir, {
      bos: specialTokenId(hf, "bos_token_id"),
      eos: specialTokenId(hf, "eos_token_id"),
    }),
    parameterCount: weights.parameterCount(),
    tensorTypes: weights.dtypeCounts(),
    readWeights: (store) => readAllWeights(source, store, (reader) => architecture.weightsFromHf!(reader, config)),
  };
}

/**
 * Reads an architecture's weights, then insists that it read every tensor of the file: a tensor left over (a
 * sixth block under a block_count of 5, a misnamed weight) means the metadata and the tensors disagree, and a
 * model run from the part it understood would be another model.
 */
function readAllWeights(
  source: TensorSource,
  store: WeightStore,
  read: (reader: WeightReader) => TransformerWeights,
): TransformerWeights {
  const reader = new WeightReader(source, store);
  const weights = read(reader);
  const unread = reader.unreadTensors();
  if (unread.length > 0) {
    const shown = joinWords(unread.slice(0, 5).map(quotedFromFile));
    throw reader.fail(
      `${unread.length === 1 ? "tensor" : `${unread.length} tensors`} ${shown}${unread.length > 5 ? " and more" : ""} ` +
        `${unread.length === 1 ? "is" : "are"} not part of the model its metadata describes ` +
        `(${weights.layers.length} layers)`,
    );
  }
  return weights;
}

/** config.json's id of a special token; some models list several end tokens, of which the first is the main one. */
function specialTokenId(hf: HfConfig, key: string): number | undefined {
  const value = hf.json[key];
  const id = Array.isArray(value) ? value[0] : value;
  return Number.isInteger(id) && (id as number) >= 0 ? (id as number) : undefined;
}

export async function openModel(ref: ModelRef, baseDir: string): Promise<OpenedModel> {
  const target = resolveModelPath(ref, baseDir);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    throw new ModelNotFoundError("no such file or directory", target);
  }
  const opened = isDirectory ? openHfModel(target) : openGgufModel(target, await loadGguf(target));
  // Every token the model can produce must decode, and every token the tokenizer makes must embed.
  if (opened.tokenizer.vocabSize > opened.config.vocabSize) {
    throw new ModelFormatError(
      `the tokenizer has ${opened.tokenizer.vocabSize} tokens but the embedding has ${opened.config.vocabSize} rows`,
      target,
    );
  }
  return opened;
}

/**
 * A model given instead of the plan's (`--model`, `RunOptions.model`): a relative path there is relative to the
 * working directory, as on any command line, not to the .ptch file.
 */
export function modelOverride(text: string): ModelRef {
  const ref = modelRef(text);
  if (ref.kind === "bundled") return ref;
  const resolved = path.resolve(ref.path);
  // A hub id stays an id unless the working directory has such a path.
  return !existsSync(resolved) && HUB_ID.test(ref.path) ? ref : { kind: "file", path: resolved };
}
