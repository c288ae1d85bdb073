// Errors the runtime reports about its inputs, as opposed to bugs in the runtime itself.

import type { Diagnostic } from "../foundation/diagnostics.js";

/**
 * A model file that cannot be used: unreadable, not GGUF, truncated, corrupt, or lacking something the runtime needs.
 * The message never repeats the file name; the CLI prints `${file}: ${message}`.
 */
export class ModelFormatError extends Error {
  override readonly name = "ModelFormatError";

  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** A plan that cannot run on the loaded model, found before any generation starts. */
export class RunError extends Error {
  override readonly name = "RunError";
}

/** A plan that does not fit the loaded model (a layer out of range, a position outside its prompt, ...). */
export class PlanRejectedError extends Error {
  override readonly name = "PlanRejectedError";

  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
  }
}
