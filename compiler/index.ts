// The compiler's entry point: source text → plan, through ordered phases (parse, check, plan). A phase runs only
// if the phases before it reported no errors, since its input would be incomplete and its findings noise;
// warnings never stop compilation. Nothing here throws on user input.

import { parse } from "../grammar/index.js";
import { BYTE_ORDER_MARK } from "../grammar/lexer.js";
import { check } from "./check.js";
import { hasErrors } from "../foundation/diagnostics.js";
import { LineIndex } from "../foundation/line-index.js";
import { escapeControlCharacters } from "../foundation/text.js";
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
  // One by one: a spread of hundreds of thousands of diagnostics would overflow the stack.
  for (const diagnostic of check(program)) diagnostics.push(diagnostic);
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
export function formatDiagnostic(diagnostic: Diagnostic, fileName: string, source: string | LineIndex): string {
  const lines = typeof source === "string" ? new LineIndex(source) : source;
  const { start } = diagnostic.range;
  const header = `${location(fileName, diagnostic.range)}: ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message}`;
  const notes = (diagnostic.related ?? []).map(
    (related) => `${location(fileName, related.range)}: note: ${related.message}`,
  );
  return [
    escapeControlCharacters(header),
    ...echoedLine(lines.lineText(start.line), diagnostic.range),
    ...notes.map(escapeControlCharacters),
  ].join("\n");
}

/** How many diagnostics of one code a text listing shows before it sums up the rest. */
export const MAX_DIAGNOSTICS_OF_A_KIND = 20;

/**
 * Renders a file's diagnostics as formatDiagnostic does, over one line index; past MAX_DIAGNOSTICS_OF_A_KIND
 * of one code, the rest of that code are counted in one line ("… and 4980 more PTCH3012 like this"), so that
 * a file of thousands of one mistake prints a screenful, not megabytes.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], fileName: string, source: string): string {
  const lines = new LineIndex(source);
  const shown = new Map<string, number>();
  const out: string[] = [];
  for (const diagnostic of diagnostics) {
    const count = (shown.get(diagnostic.code) ?? 0) + 1;
    shown.set(diagnostic.code, count);
    if (count <= MAX_DIAGNOSTICS_OF_A_KIND) out.push(formatDiagnostic(diagnostic, fileName, lines) + "\n");
  }
  for (const [code, count] of shown) {
    if (count > MAX_DIAGNOSTICS_OF_A_KIND) {
      out.push(`${fileName}: … and ${count - MAX_DIAGNOSTICS_OF_A_KIND} more ${code} like this\n`);
    }
  }
  return out.join("");
}

function location(fileName: string, range: SourceRange): string {
  return `${fileName}:${range.start.line}:${range.start.column}`;
}

/** The widest part of a source line echoed under a diagnostic, in characters. */
const ECHO_WIDTH = 120;

/**
 * The source line and carets under the part of it that `range` covers (to the end of the line if the range goes
 * on), at least one so that an empty range still shows where it is. A long line is cut to a window around the
 * range, marked with "…"; control characters show escaped, as \x1b, so that a file cannot drive the terminal.
 * The indent copies the line's tabs, and leaves out a byte order mark, which takes no room, so the carets line up.
 */
function echoedLine(lineText: string, range: SourceRange): [string, string] {
  const startIndex = range.start.column - 1;
  const endIndex = range.end.line === range.start.line ? range.end.column - 1 : lineText.length;
  const from = Math.max(0, Math.min(startIndex - ECHO_WIDTH / 4, lineText.length - ECHO_WIDTH));
  const to = Math.min(lineText.length, from + ECHO_WIDTH);
  const shown = (text: string) => [...text].map(displayedCharacter);
  const before = shown(lineText.slice(from, startIndex));
  const covered = shown(lineText.slice(startIndex, Math.min(endIndex, to)));
  const indentOf = (display: string) =>
    display === "\t" ? "\t" : display === BYTE_ORDER_MARK ? "" : " ".repeat(display.length);
  const line = (from > 0 ? "…" : "") + shown(lineText.slice(from, to)).join("") + (to < lineText.length ? "…" : "");
  const indent = (from > 0 ? " " : "") + before.map(indentOf).join("");
  const width = Math.max(1, covered.join("").length);
  return [line, indent + "^".repeat(width)];
}

/** A character of an echoed line as printed: itself, or its escape if it is a control character. */
function displayedCharacter(character: string): string {
  return character === "\t" ? character : escapeControlCharacters(character);
}
