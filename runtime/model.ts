// A loaded model: hyperparameters, weights, tokenizer, and its compiled graphs (one per set of sites).

import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelRef } from "../compiler/types.js";
import { ModelFormatError, RunError } from "./errors.js";
import { loadGguf } from "./gguf.js";
import { buildLlamaGraph, NO_SITES, type GraphSites } from "./llama-graph.js";
import { readLlamaModel, type LlamaConfig, type LlamaModel } from "./llama.js";
import { GraphRunner } from "./graph-runner.js";
import { siteId } from "./sites.js";
import { LlamaTokenizer } from "./tokenizer.js";

/** The package's bundled models/ folder, found from this file whether it runs from source or from dist/. */
function bundledModelsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "models")) || !existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cannot find ptch's bundled models/ folder");
    dir = parent;
  }
  return path.join(dir, "models");
}

export function bundledModelNames(): string[] {
  return readdirSync(bundledModelsDir(), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The file a model reference names; `baseDir` anchors relative paths (the .ptch file's folder). */
export function resolveModelPath(ref: ModelRef, baseDir: string): string {
  if (ref.kind === "file") return path.resolve(baseDir, ref.path);
  const known = bundledModelNames();
  if (!known.includes(ref.name)) {
    throw new ModelFormatError(
      `unknown model '${ref.name}'; bundled models: ${known.join(", ")}; or give a path such as "./model.gguf"`,
    );
  }
  return path.join(bundledModelsDir(), ref.name, `${ref.name}.gguf`);
}

const siteSetKey = (sites: GraphSites) =>
  [sites.slots, sites.captures, sites.hooks ?? []].map((list) => list.map(siteId).sort().join(",")).join("|");

export class Model {
  private readonly sessions = new Map<string, Promise<GraphRunner>>();

  private constructor(
    readonly path: string,
    private readonly llama: LlamaModel,
    readonly tokenizer: LlamaTokenizer,
  ) {}

  static async load(ref: ModelRef, baseDir: string = process.cwd()): Promise<Model> {
    const file = resolveModelPath(ref, baseDir);
    const gguf = await loadGguf(file);
    return new Model(file, readLlamaModel(gguf), LlamaTokenizer.fromGguf(gguf));
  }

  get config(): LlamaConfig {
    return this.llama.config;
  }

  /** The compiled graph with exactly these slots, captures and hooks; built once per distinct set. */
  session(sites: GraphSites = NO_SITES): Promise<GraphRunner> {
    const key = siteSetKey(sites);
    let session = this.sessions.get(key);
    if (!session) {
      session = GraphRunner.create(buildLlamaGraph(this.llama, sites));
      this.sessions.set(key, session);
    }
    return session;
  }

  checkSequenceFits(promptLength: number, maxNewTokens: number): void {
    if (promptLength === 0) throw new RunError("the prompt has no tokens");
    if (promptLength + maxNewTokens > this.config.contextLength) {
      throw new RunError(
        `${promptLength} prompt tokens plus ${maxNewTokens} new tokens exceed the model's context of ${this.config.contextLength}`,
      );
    }
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s).dispose()));
  }
}
