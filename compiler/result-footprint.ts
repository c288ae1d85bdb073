// How much memory a run's results will hold, estimated before anything runs, so that a plan too large to hold
// (a grid of thousands of points times many generations, say) is refused with a diagnostic instead of ending,
// minutes in, with an allocation failure. Generation itself is bounded separately (execute.ts batches rows by a
// key/value budget); what grows with the plan is what is kept: each generation's record (tokens, pieces, text,
// the interventions that acted on it), exported captures as JSON-ready numbers, and measures.

import { createDiagnostic, type Diagnostic } from "../foundation/diagnostics.js";
import type { SourceRange } from "../foundation/source.js";
import type { ValueShape } from "./model-check.js";
import type { PlanStep } from "./plan-ir.js";

/** What one run may keep: half of V8's default heap, which also holds the prepared runs and the printed JSON. */
export const RESULT_BUDGET_BYTES = 2 * 1024 ** 3;

// Measured on the bundled model: 100k five-token generations of a five-token prompt held about 650 MB, some
// 6.5 KB each, most of it per generation rather than per token.
const GENERATION_BYTES = 8 * 1024;
const TOKEN_BYTES = 64;
/** Each intervention acting on a generation is listed in its result. */
const ACTING_INTERVENTION_BYTES = 256;
/** A captured value kept as a float32 until the run ends. */
const CAPTURED_VALUE_BYTES = 4;
/** An exported value: a JS number in an array, then its JSON text. */
const EXPORTED_VALUE_BYTES = 32;
const MEASURE_BYTES = 1024;

const formatBytes = (bytes: number) =>
  bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.ceil(bytes / 1024 ** 2)} MiB`;

/** Adds up the footprint of the steps of every point; remembers the first step that takes it over the budget. */
export class ResultFootprint {
  private bytes = 0;
  private generations = 0;
  private tokens = 0;
  private values = 0;
  private overAt?: SourceRange;
  private readonly actingOn = new Map<string, number>();

  /** Starts a new sweep point: interventions of one point do not act on another's generations. */
  nextPoint(): void {
    this.actingOn.clear();
  }

  /** Counts `step`; `promptLength` is a generation's prompt in tokens, `shape` a capture's value. */
  add(step: PlanStep, promptLength: number, shape?: ValueShape): void {
    switch (step.kind) {
      case "generate": {
        const tokens = promptLength + step.maxNewTokens;
        this.generations += 1;
        this.tokens += tokens;
        this.grow(
          GENERATION_BYTES + TOKEN_BYTES * tokens + ACTING_INTERVENTION_BYTES * (this.actingOn.get(step.prompt) ?? 0),
          step.at,
        );
        this.grow(MEASURE_BYTES * (step.measures?.length ?? 0), step.at);
        return;
      }
      case "capture": {
        const values = shape?.kind === "vectors" ? shape.count * shape.width : 0;
        if (step.output) this.values += values;
        return this.grow(values * (step.output ? EXPORTED_VALUE_BYTES : CAPTURED_VALUE_BYTES), step.site.at?.site);
      }
      case "measure":
        return this.grow(MEASURE_BYTES, step.at);
      default:
        this.actingOn.set(step.prompt, (this.actingOn.get(step.prompt) ?? 0) + 1);
    }
  }

  private grow(bytes: number, at: SourceRange | undefined): void {
    this.bytes += bytes;
    if (this.bytes > RESULT_BUDGET_BYTES && this.overAt === undefined && at) this.overAt = at;
  }

  /** The refusal, placed at the step that went over the budget; undefined when the results fit. */
  diagnostic(): Diagnostic | undefined {
    if (this.bytes <= RESULT_BUDGET_BYTES || this.overAt === undefined) return undefined;
    return createDiagnostic("resultsTooLarge", this.overAt, {
      size: formatBytes(this.bytes),
      generations: this.generations,
      tokens: this.tokens,
      values: this.values,
      max: formatBytes(RESULT_BUDGET_BYTES),
    });
  }
}
