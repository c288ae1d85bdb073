// The one canonical layout of .ptch source, for `ptch fmt` and the Prettier plugin. Layout comes from the token
// stream, not from the AST: whether two tokens touch or are spaced follows from their types, and the statements are
// the parser's. So a statement added to the grammar is laid out right with no change here, as long as it is written
// with the existing kinds of token. Only the source's own tokens are emitted, so nothing that carries meaning can be
// dropped or added: parentheses and numbers stay as written, and strings keep their value.

import { tokenMatcher, type CstElement, type CstNode, type IToken, type TokenType } from "chevrotain";
import { decodeEscapes } from "../grammar/ast-builder.js";
import { parse, parseCst } from "../grammar/index.js";
import {
  Comma,
  DotDot,
  Equals,
  Identifier,
  Keyword,
  LeftBracket,
  LeftParenthesis,
  Measure,
  Minus,
  Numeral,
  RightBracket,
  RightParenthesis,
  StringLiteral,
} from "../grammar/lexer.js";
import { hasErrors } from "../foundation/diagnostics.js";
import { LineIndex } from "../foundation/line-index.js";
import type { Diagnostic } from "../foundation/diagnostics.js";

export interface FormatResult {
  /** The formatted source; absent when the source has syntax errors, since broken code is never formatted. */
  text?: string;
  /** The syntax diagnostics of the source (lexical, grammatical and string escapes), ordered by position. */
  diagnostics: Diagnostic[];
}

/**
 * Formats a .ptch program: one statement per line, canonical spacing and string escapes, comments kept (one that
 * trails a statement stays on its line, two spaces after it), at most one blank line where the source had any, and
 * one final newline. The result compiles to the same plan, and formatting it again changes nothing.
 */
export function formatPtch(source: string): FormatResult {
  // Only building the AST finds bad escapes, which leave a string with no value to re-escape; only the CST has
  // the tokens. So the source is parsed twice, which costs little next to anything else a tool does with it.
  const { diagnostics } = parse(source);
  if (hasErrors(diagnostics)) return { diagnostics };
  const { cst, comments } = parseCst(source);
  const lines = new LineIndex(source);
  const placeOf = (first: IToken, last: IToken) => ({
    offset: first.startOffset,
    firstLine: lines.positionAt(first.startOffset).line,
    lastLine: lines.positionAt(last.startOffset).line,
  });

  const statements = (cst.children.statement ?? []).map((statement): SourceLine => {
    const tokens = tokensOf(statement);
    return { kind: "statement", text: statementText(tokens), ...placeOf(tokens[0]!, tokens.at(-1)!) };
  });
  const commentLines = comments.map((comment): SourceLine => ({
    kind: "comment",
    text: commentText(comment),
    ...placeOf(comment, comment),
  }));
  return { text: layOut(withTrailingComments([...statements, ...commentLines])), diagnostics };
}

/** A statement or a comment as it will be printed, with where it was in the source. */
interface SourceLine {
  kind: "statement" | "comment";
  text: string;
  offset: number;
  /** The source lines it spans, to tell which comments trail a statement and where the source had blank lines. */
  firstLine: number;
  lastLine: number;
}

/** The lines in source order, each comment that trails a statement on its line appended to that statement. */
function withTrailingComments(lines: SourceLine[]): SourceLine[] {
  const merged: SourceLine[] = [];
  for (const line of [...lines].sort((a, b) => a.offset - b.offset)) {
    const previous = merged.at(-1);
    const trails = line.kind === "comment" && previous?.kind === "statement" && previous.lastLine === line.firstLine;
    if (trails) previous.text += `  ${line.text}`;
    else merged.push({ ...line });
  }
  return merged;
}

/** One line each, a blank line where the source had one or more, and a final line break. */
function layOut(lines: SourceLine[]): string {
  return lines
    .map((line, index) => {
      const previous = lines[index - 1];
      const followsBlankLine = previous !== undefined && line.firstLine - previous.lastLine > 1;
      return `${followsBlankLine ? "\n" : ""}${line.text}\n`;
    })
    .join("");
}

/** The tokens of a CST node, in source order. */
function tokensOf(node: CstNode): IToken[] {
  const collect = (element: CstElement): IToken[] =>
    "children" in element ? Object.values(element.children).flat().flatMap(collect) : [element];
  return collect(node).sort((a, b) => a.startOffset - b.startOffset);
}

/** A comment keeps its text; only trailing whitespace goes. */
function commentText(comment: IToken): string {
  return comment.image.trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Spacing within a statement

function statementText(tokens: IToken[]): string {
  return tokens.map((token, index) => (index > 0 && isSpaced(tokens, index) ? " " : "") + tokenText(token)).join("");
}

/**
 * Whether a space separates `tokens[index]` from the token before it. Words, and binary operators, are spaced;
 * brackets, parentheses, commas, `..` and a sign hug their neighbours; an `=` is spaced only where it binds a name.
 */
function isSpaced(tokens: IToken[], index: number): boolean {
  const previous = tokens[index - 1]!;
  const token = tokens[index]!;
  if (isOneOf(previous, [LeftBracket, LeftParenthesis, DotDot])) return false;
  if (isOneOf(token, [RightBracket, RightParenthesis, Comma, DotDot])) return false;
  if (isSign(tokens, index - 1)) return false;
  if (tokenMatcher(previous, Equals)) return bindsName(tokens, index - 1);
  if (tokenMatcher(token, Equals)) return bindsName(tokens, index);
  // Selectors belong to the name before them, `resid[L=1]`; a bracketed list after a keyword is a value of its own.
  if (tokenMatcher(token, LeftBracket)) return !tokenMatcher(previous, Identifier);
  // A metric's arguments belong to its name, `prob(" She")`; a name never stands before a parenthesis otherwise.
  if (tokenMatcher(token, LeftParenthesis)) return !tokenMatcher(previous, Identifier);
  return true;
}

/**
 * Whether the `=` at `index` binds a name, as in `prompt story = "…"` or `export let x = …`: only keywords and then
 * the name come before it in its statement. Every other `=` pairs a key with its value, `L=1`, `top_k=40`.
 */
function bindsName(tokens: IToken[], index: number): boolean {
  const name = tokens[index - 1];
  const keywords = tokens.slice(0, index - 1);
  if (name === undefined || !tokenMatcher(name, Identifier)) return false;
  // A generate's `measure NAME = …` names a measure mid-statement.
  const before = tokens[index - 2];
  return (
    keywords.every((token) => tokenMatcher(token, Keyword)) || (before !== undefined && tokenMatcher(before, Measure))
  );
}

/** Whether the token at `index` is a minus sign (unary minus, `-2`): a '-' that does not follow an operand. */
function isSign(tokens: IToken[], index: number): boolean {
  const before = tokens[index - 1];
  return tokenMatcher(tokens[index]!, Minus) && (before === undefined || !endsOperand(before));
}

/** The tokens an operand can end with, so that a '-' after them subtracts. */
function endsOperand(token: IToken): boolean {
  return isOneOf(token, [Identifier, Numeral, StringLiteral, RightParenthesis, RightBracket]);
}

function isOneOf(token: IToken, types: readonly TokenType[]): boolean {
  return types.some((type) => tokenMatcher(token, type));
}

function tokenText(token: IToken): string {
  return tokenMatcher(token, StringLiteral) ? canonicalString(token.image) : token.image;
}

// ---------------------------------------------------------------------------------------------
// Strings

/** The escapes that have a name; any other character that needs escaping is written `\u{…}`. */
const NAMED_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '\\"'],
  ["\\", "\\\\"],
  ["\n", "\\n"],
  ["\t", "\\t"],
]);

/** Control characters are invisible, and line and paragraph separators look like line breaks in an editor. */
const ESCAPED_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]/u;

/** The same string value, written with the canonical escapes. Only a closed string with valid escapes gets here. */
function canonicalString(image: string): string {
  const { value } = decodeEscapes(image.slice('"'.length, -'"'.length));
  return `"${[...value].map(escapeCharacter).join("")}"`;
}

function escapeCharacter(character: string): string {
  const named = NAMED_ESCAPES.get(character);
  if (named !== undefined) return named;
  if (!ESCAPED_CHARACTER.test(character)) return character;
  return `\\u{${character.codePointAt(0)!.toString(16).toUpperCase()}}`;
}
