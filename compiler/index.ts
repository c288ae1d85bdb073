// The compiler's entry point: source text → plan, through ordered phases (parse, check, plan). A phase runs only
// if the phases before it reported no errors, since its input would be incomplete and its findings noise;
// warnings never stop compilation. Nothing here throws on user input.

import { parse } from "../grammar/index.js";
import { BYTE_ORDER_MARK } from "../grammar/lexer.js";
import { check } from "./check.js";
import { hasErrors } from "../foundation/diagnostics.js";
import { LineIndex } from "../foundation/line-index.js";
import { buildPlan } from "./plan.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { Plan } from "./plan-ir.js";
import type { SourceRange } from "../foundation/source.js";

export interface CompileResult {
  /** Present exactly when no diagnostic is an error. */
  plan?: Plan;
  diagnostics: Diagnostic[];
}

export function compile(source: string): CompileResult {
  const { program, diagnostics } = parse(source);
  if (hasErrors(diagnostics)) return { diagnostics };
  diagnostics.push(...check(program));
  if (hasErrors(diagnostics)) return { diagnostics };
  return { plan: buildPlan(program), diagnostics };
}

/**
 * Renders a diagnostic for a terminal, compiler-style:
 *
 *     story.ptch:3:18: error PTCH2001: no prompt named 'stroy'; did you mean 'story'?
 *     generate 60 from stroy
 *                      ^^^^^
 *
 * followed by a `note:` line for each piece of related information.
 */
export function formatDiagnostic(diagnostic: Diagnostic, fileName: string, source: string): string {
  const lines = new LineIndex(source);
  const { start } = diagnostic.range;
  const lineText = lines.lineText(start.line);
  const header = `${location(fileName, diagnostic.range)}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
  const notes = (diagnostic.related ?? []).map(
    (related) => `${location(fileName, related.range)}: note: ${related.message}`,
  );
  return [header, lineText, underline(lineText, diagnostic.range), ...notes].join("\n");
}

function location(fileName: string, range: SourceRange): string {
  return `${fileName}:${range.start.line}:${range.start.column}`;
}

/**
 * Carets under the part of `lineText` that `range` covers (to the end of the line if the range goes on), at least
 * one so that an empty range still shows where it is. The indent copies the line's tabs, and leaves out a byte order
 * mark, which takes no room, so the carets line up.
 */
function underline(lineText: string, range: SourceRange): string {
  const startIndex = range.start.column - 1;
  const endIndex = range.end.line === range.start.line ? range.end.column - 1 : lineText.length;
  const indentOf = (character: string) => (character === "\t" ? "\t" : character === BYTE_ORDER_MARK ? "" : " ");
  const indent = [...lineText.slice(0, startIndex)].map(indentOf).join("");
  const width = Math.max(1, [...lineText.slice(startIndex, endIndex)].length);
  return indent + "^".repeat(width);
}
