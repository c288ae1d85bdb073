// A loaded model: hyperparameters, weights, tokenizer, and its compiled graphs (one per set of sites).

import type { ModelRef } from "../compiler/types.js";
import { RunError } from "./errors.js";
import { GraphRunner } from "./graph-runner.js";
import { buildLlamaGraph, NO_SITES, type GraphSites } from "./llama-graph.js";
import { readLlamaModel, type LlamaConfig, type LlamaModel } from "./llama.js";
import { openModelFile } from "./model-files.js";
import { siteId } from "./sites.js";
import type { LlamaTokenizer } from "./tokenizers/sentencepiece.js";

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
    const { path, gguf, tokenizer } = await openModelFile(ref, baseDir);
    return new Model(path, readLlamaModel(gguf), tokenizer);
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
      // A graph that failed to build is not kept: the next request tries again, and dispose() skips it.
      const pending = session;
      pending.catch(() => {
        if (this.sessions.get(key) === pending) this.sessions.delete(key);
      });
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
    const built = await Promise.allSettled(sessions);
    await Promise.all(built.map((b) => (b.status === "fulfilled" ? b.value.dispose() : undefined)));
  }
}
