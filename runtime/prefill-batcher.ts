// The prefill runs that experiments ask for (a source to read, a distribution to measure), batched: the requests
// made while every experiment of a sweep waits go through the model together, in one batch per chunk of rows,
// and a run of the same tokens under equal interventions is made once and shared by every point that asks.

import { elementCount } from "../foundation/text.js";
import { siteShape } from "../compiler/model-check.js";
import { capturedActivation, forwardFull } from "./generate.js";
import type { InterventionTable } from "./interventions.js";
import type { Model } from "./model.js";
import { siteId, type ActivationSite } from "./sites.js";

/** The most rows one prefill batch holds; more requests make more batches. */
const MAX_BATCH_ROWS = 64;

interface Request {
  tokens: readonly number[];
  table: InterventionTable | undefined;
  /** Undefined: the activations at every captured site; a position: the logits there. */
  logitsAt: number | undefined;
  resolve: (value: Map<string, Float32Array> | Float32Array) => void;
  reject: (error: unknown) => void;
}

export class PrefillBatcher {
  private readonly done = new Map<string, Promise<Map<string, Float32Array> | Float32Array>>();
  private queue: Request[] = [];
  private scheduled = false;
  /** Runs made and rows run, for benchmarks and tests of sharing. */
  readonly stats = { batches: 0, rows: 0 };

  constructor(
    private readonly model: Model,
    /** The sites every run captures: those any step of any point reads. */
    private readonly captures: readonly ActivationSite[],
  ) {}

  /** Every captured site's activations in a prefill run of `tokens` under `table`, by site id, [position, width]. */
  activations(tokens: readonly number[], table?: InterventionTable): Promise<Map<string, Float32Array>> {
    return this.request(tokens, table, undefined) as Promise<Map<string, Float32Array>>;
  }

  /** The next-token logits at `position` of a prefill run of `tokens` under `table`. */
  logits(tokens: readonly number[], table: InterventionTable | undefined, position: number): Promise<Float32Array> {
    return this.request(tokens, table, position) as Promise<Float32Array>;
  }

  private request(tokens: readonly number[], table: InterventionTable | undefined, logitsAt: number | undefined) {
    const key = `${tokens.join(",")}|${table?.contentKey ?? ""}|${logitsAt ?? "sites"}`;
    let result = this.done.get(key);
    if (!result) {
      result = new Promise((resolve, reject) => this.queue.push({ tokens, table, logitsAt, resolve, reject }));
      this.done.set(key, result);
      if (!this.scheduled) {
        this.scheduled = true;
        // After every experiment waiting on a microtask has asked: they all go in one batch.
        setImmediate(() => void this.flush());
      }
    }
    return result;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (let start = 0; start < queue.length; start += MAX_BATCH_ROWS) {
      const chunk = queue.slice(start, start + MAX_BATCH_ROWS);
      try {
        await this.run(chunk);
      } catch (error) {
        for (const request of chunk) request.reject(error);
      }
    }
  }

  private async run(chunk: Request[]): Promise<void> {
    const outputs = await forwardFull(
      this.model,
      chunk.map((r) => r.tokens),
      chunk.map((r) => (r.table ? { interventions: r.table } : {})),
      this.captures,
    );
    this.stats.batches++;
    this.stats.rows += chunk.length;
    const steps = Math.max(...chunk.map((r) => r.tokens.length));
    const vocab = this.model.tokenizer.vocabSize;
    const logits = outputs["logits"]!;
    const fullVocab = logits.dims[2]!;
    chunk.forEach((request, row) => {
      // Left padding: the row's tokens are its last ones.
      const first = row * steps + steps - request.tokens.length;
      if (request.logitsAt !== undefined) {
        const offset = (first + request.logitsAt) * fullVocab;
        request.resolve(logits.data.slice(offset, offset + vocab));
        return;
      }
      const sites = new Map<string, Float32Array>();
      for (const site of this.captures) {
        const width = elementCount(siteShape(site.site, this.model.config));
        const data = capturedActivation(outputs, site).data;
        sites.set(siteId(site), data.slice(first * width, (first + request.tokens.length) * width));
      }
      request.resolve(sites);
    });
  }
}
