// Resolving a selection's positions on a tokenized prompt into absolute token indices. Shared by the checks
// against a model (model-check.ts) and by the runtime, so both agree on what `pos=-2` or `pos="Lily"` means and
// report the same diagnostics.

import { createDiagnostic } from "../foundation/diagnostics.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { PositionSpec, SiteSelection } from "./plan-ir.js";
import type { SourceRange } from "../foundation/source.js";

/** A prompt as the model sees it. `spans[i]` is the [start, end) of token i in `text`; BOS covers no text. */
export interface TokenizedPrompt {
  text: string;
  tokens: readonly number[];
  spans: readonly (readonly [number, number])[];
}

/** Absolute prompt positions, and whether generated positions are selected too. */
export interface ResolvedRows {
  positions: number[];
  generated: boolean;
}

/** For plans built without source (from TypeScript): diagnostics point at the start of the file. */
export const NOWHERE: SourceRange = {
  start: { offset: 0, line: 1, column: 1 },
  end: { offset: 0, line: 1, column: 1 },
};

/** Where to report a problem with one key of a selection: its selector, else the site, else the file start. */
export function locate(selection: SiteSelection, key: "layer" | "head" | "positions"): SourceRange {
  return selection.at?.[key] ?? selection.at?.site ?? NOWHERE;
}

/** The last occurrence of `text` in the prompt, as the tokens whose spans overlap it. */
function textPositions(prompt: TokenizedPrompt, text: string): number[] | undefined {
  const start = text.length === 0 ? -1 : prompt.text.lastIndexOf(text);
  if (start < 0) return undefined;
  const end = start + text.length;
  const positions: number[] = [];
  prompt.spans.forEach(([s, e], i) => {
    if (s < end && e > start) positions.push(i);
  });
  return positions;
}

/**
 * How a selection is used: a target's rows include generated positions when selected; a source is read from a
 * prefill run, which has prompt positions only, so `*` there means the prompt positions.
 */
export type SelectionRole = "target" | "source";

/**
 * Resolves `positions` of a selection on a prompt. Negative indices count back from the last prompt token.
 * Returns a diagnostic (at the selection) when a position falls outside the prompt or a text does not occur.
 */
export function resolvePositions(
  selection: SiteSelection,
  prompt: TokenizedPrompt,
  promptName: string,
  role: SelectionRole,
): ResolvedRows | Diagnostic {
  return resolvePositionSpec(selection.positions, locate(selection, "positions"), prompt, promptName, role);
}

/** Resolves a position spec on a prompt; a problem is reported at `at`. */
export function resolvePositionSpec(
  spec: PositionSpec,
  at: SourceRange,
  prompt: TokenizedPrompt,
  promptName: string,
  role: SelectionRole,
): ResolvedRows | Diagnostic {
  const length = prompt.tokens.length;
  const absolute = (index: number) => (index < 0 ? length + index : index);
  const outside = (index: number) =>
    createDiagnostic("positionOutsidePrompt", at, { position: index, prompt: promptName, length, last: length - 1 });
  switch (spec.kind) {
    case "index": {
      const p = absolute(spec.index);
      return p < 0 || p >= length ? outside(spec.index) : { positions: [p], generated: false };
    }
    case "range": {
      const [from, to] = [absolute(spec.from), absolute(spec.to)];
      if (from < 0 || from >= length) return outside(spec.from);
      if (to < 0 || to >= length) return outside(spec.to);
      if (from > to) return createDiagnostic("reversedRange", at, { from: spec.from, to: spec.to });
      return { positions: Array.from({ length: to - from + 1 }, (_, i) => from + i), generated: false };
    }
    case "text": {
      const positions = textPositions(prompt, spec.text);
      if (!positions || positions.length === 0) {
        return createDiagnostic("textNotInPrompt", at, { text: JSON.stringify(spec.text), prompt: promptName });
      }
      return { positions, generated: false };
    }
    case "prompt":
      return { positions: Array.from({ length }, (_, i) => i), generated: false };
    case "generated":
      return role === "source"
        ? createDiagnostic("sourceHasNoGeneratedPositions", at, { prompt: promptName })
        : { positions: [], generated: true };
    case "all":
      return { positions: Array.from({ length }, (_, i) => i), generated: role === "target" };
  }
}
