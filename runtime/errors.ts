// Errors the runtime reports about its inputs, as opposed to bugs in the runtime itself.

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
