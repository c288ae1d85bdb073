// A loaded model: its config, tokenizer, weights (in one weight store), and the compiled graph it runs.
//
// A model keeps one session, with slots and captures at the union of every set of sites asked of it so far: a
// request the session covers reuses it (unused slots are fed the identity), and one it does not replaces it with
// a session covering both. Callers that know all their sites up front (an experiment's every sweep point) ask
// for them at once, so one session serves them all.

import type { ModelRef } from "../compiler/plan-ir.js";
import type { ModelConfig, TransformerWeights } from "./architectures/config.js";
import { GenerationError } from "./errors.js";
import { buildTransformerGraph, NO_SITES, type GraphSites } from "./graph/transformer.js";
import { GraphRunner } from "./graph-runner.js";
import { openModel, type OpenedModel } from "./model-files.js";
import { siteId, type ActivationSite } from "./sites.js";
import type { Tokenizer } from "./tokenizers/tokenizer.js";
import { WeightStore } from "./weight-store.js";

const ids = (sites: readonly ActivationSite[] = []) => new Set(sites.map(siteId));
const covers = (have: readonly ActivationSite[] = [], want: readonly ActivationSite[] = []) => {
  const known = ids(have);
  return want.every((s) => known.has(siteId(s)));
};
const union = (a: readonly ActivationSite[] = [], b: readonly ActivationSite[] = []) => [
  ...new Map([...a, ...b].map((s) => [siteId(s), s])).values(),
];
const sameSet = (a: readonly ActivationSite[] = [], b: readonly ActivationSite[] = []) => covers(a, b) && covers(b, a);

/** The graph built for some sites, with the onnxruntime session (in its runner) that runs it. */
export interface BuiltGraph {
  runner: GraphRunner;
  sites: GraphSites;
}

export class Model {
  private current: BuiltGraph | undefined;
  /** Graphs a wider one replaced. A run that began on one may still be using it, so they live as long as the model. */
  private readonly retired: BuiltGraph[] = [];
  /** graphFor() requests, one at a time, so that concurrent requests build one union rather than racing. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opened: OpenedModel,
    private readonly store: WeightStore,
    private readonly weights: TransformerWeights,
  ) {}

  /** Opens the model and reads every weight once, into the store that all its sessions map. */
  static async load(ref: ModelRef, baseDir: string = process.cwd()): Promise<Model> {
    const opened = await openModel(ref, baseDir);
    const store = new WeightStore();
    try {
      return new Model(opened, store, opened.readWeights(store));
    } catch (error) {
      store.close();
      throw error;
    }
  }

  get path(): string {
    return this.opened.path;
  }

  get config(): ModelConfig {
    return this.opened.config;
  }

  get tokenizer(): Tokenizer {
    return this.opened.tokenizer;
  }

  /** Bytes of weights this model has read into its store: each weight once, however many sessions it builds. */
  get storedWeightBytes(): number {
    return this.store.byteLength;
  }

  /**
   * A graph with at least these slots and captures, and exactly these hooks (a hook splits the graph, so
   * one that is not asked for would cost a run).
   */
  graphFor(sites: GraphSites = NO_SITES): Promise<BuiltGraph> {
    const next = this.queue.then(() => this.buildOrReuse(sites));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async buildOrReuse(sites: GraphSites): Promise<BuiltGraph> {
    const existing = this.current;
    if (
      existing &&
      covers(existing.sites.slots, sites.slots) &&
      covers(existing.sites.captures, sites.captures) &&
      sameSet(existing.sites.hooks, sites.hooks)
    ) {
      return existing;
    }
    const wanted: GraphSites = existing
      ? {
          slots: union(existing.sites.slots, sites.slots),
          captures: union(existing.sites.captures, sites.captures),
          hooks: sites.hooks ?? [],
        }
      : sites;
    const runner = await GraphRunner.create(buildTransformerGraph(this.config, this.weights, wanted), this.store.dir);
    if (existing) this.retired.push(existing);
    this.current = { runner, sites: wanted };
    return this.current;
  }

  checkSequenceFits(promptLength: number, maxNewTokens: number): void {
    if (promptLength === 0) throw new GenerationError("the prompt has no tokens");
    if (promptLength + maxNewTokens > this.config.contextLength) {
      throw new GenerationError(
        `${promptLength} prompt tokens plus ${maxNewTokens} new tokens exceed the model's context of ${this.config.contextLength}`,
      );
    }
  }

  async dispose(): Promise<void> {
    await this.queue;
    const sessions = [...this.retired.splice(0), ...(this.current ? [this.current] : [])];
    this.current = undefined;
    await Promise.all(sessions.map((session) => session.runner.dispose()));
    this.store.close();
  }
}
