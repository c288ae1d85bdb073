// Errors the runtime reports about its inputs, as opposed to bugs in the runtime itself.

import type { Diagnostic } from "../foundation/diagnostics.js";

/**
 * Why there is no model to run: the reference names none, or the file it names cannot be used. The message never
 * repeats the file name; the CLI prints `${file}: ${message}`.
 */
export abstract class ModelUnavailableError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** A model reference that names no model: no such file, an unknown bundled name, a hub id no local cache holds. */
export class ModelNotFoundError extends ModelUnavailableError {
  override readonly name = "ModelNotFoundError";
}

/** A model file that cannot be used: unreadable, truncated, corrupt, or lacking something the runtime needs. */
export class ModelFormatError extends ModelUnavailableError {
  override readonly name = "ModelFormatError";
}

/**
 * A plan that does not fit the loaded model (a layer out of range, a position outside its prompt, ...), found by
 * checking it before anything runs; it carries the diagnostics, placed in the source.
 */
export class PlanRejectedError extends Error {
  override readonly name = "PlanRejectedError";

  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  }
}

/**
 * A generation that cannot go on, for what no check of the plan can see: a value computed from activations that
 * is not a finite float, or a request through the TypeScript API (no prompt tokens, more than the context holds).
 */
export class GenerationError extends Error {
  override readonly name = "GenerationError";
}

/**
 * A model named by --model that cannot be opened: the option, not the file's model statement, is at fault, so
 * the message names the option (with the diagnostic's code) rather than pointing into the source.
 */
export class ModelOptionError extends Error {
  override readonly name = "ModelOptionError";
  readonly code = "PTCH3113";

  constructor(
    readonly model: string,
    override readonly cause: ModelUnavailableError,
  ) {
    super(`--model ${model}: cannot open the model: ${cause.file ? `${cause.file}: ` : ""}${cause.message}`);
  }
}
