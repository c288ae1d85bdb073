// The entry point of the front end: source text → AST plus every syntax diagnostic in the file, in one pass.
// Nothing here throws on user input; all problems come back as diagnostics.

import { tokenMatcher, type ILexingError, type IRecognitionException, type IToken } from "chevrotain";
import { createDiagnostic, sortByPosition } from "../foundation/diagnostics.js";
import { LineIndex } from "../foundation/line-index.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { Program } from "./ast.js";
import { buildAst } from "./ast-builder.js";
import { firstOffset, isComplete } from "./cst-queries.js";
import {
  MAX_EXPRESSION_NESTING,
  MAX_EXPRESSION_OPERATORS,
  withoutOversizedExpressions,
  type ExpressionLimitExceeded,
} from "./expression-limits.js";
import { lexer, Separator } from "./lexer.js";
import type { ProgramCstNode } from "./cst.js";
import { parser } from "./parser.js";
import { lexErrorToDiagnostic, parseErrorToDiagnostic } from "./syntax-errors.js";
import { tokenRange } from "./token-range.js";

export interface CstParseResult {
  cst: ProgramCstNode;
  /**
   * Every token the parser saw, in order (whitespace and comments excluded): all but those of the statements left
   * out for `exceededLimits`.
   */
  tokens: IToken[];
  /** The comment tokens, in order; a formatter interleaves them with `tokens` by offset. */
  comments: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
  /** Where statements exceed a limit on the size of their value; they are left out of the parse. */
  exceededLimits: ExpressionLimitExceeded[];
}

interface Lexed {
  tokens: IToken[];
  comments: IToken[];
  lexErrors: ILexingError[];
  exceededLimits: ExpressionLimitExceeded[];
}

/** Lexes `text`, which starts at `offset` of the whole text: every offset is made one in the whole text. */
function lex(text: string, offset = 0): Lexed {
  const lexed = lexer.tokenize(text);
  const comments = lexed.groups["comments"] ?? [];
  if (offset > 0) {
    for (const token of lexed.tokens) token.startOffset += offset;
    for (const token of comments) token.startOffset += offset;
    for (const error of lexed.errors) error.offset += offset;
  }
  const { tokens, exceeded } = withoutOversizedExpressions(lexed.tokens);
  return { tokens, comments, lexErrors: lexed.errors, exceededLimits: exceeded };
}

/**
 * Parses `tokens` as a program. Recovery stays shallow however broken the input (parser.ts caps its nesting), and
 * expression-limits.ts keeps deep expressions out, so the parser's recursion is bounded.
 */
function parseTokens(tokens: IToken[]): { cst: ProgramCstNode; errors: IRecognitionException[] } {
  parser.input = tokens;
  const cst = parser.program() as ProgramCstNode;
  return { cst, errors: parser.errors };
}

/** Lexes and parses `source` into Chevrotain's CST, for tools that need every token (formatters, editors). */
export function parseCst(source: string): CstParseResult {
  const { tokens, comments, lexErrors, exceededLimits } = lex(source);
  const parsed = parseTokens(tokens);
  return { cst: parsed.cst, tokens, comments, lexErrors, parseErrors: parsed.errors, exceededLimits };
}

/**
 * `parse` reads the text in blocks of about this many characters, each ending at a line break, and keeps only the
 * AST of each: a block's tokens and CST (some 6 KB per statement) are garbage before the next one is lexed, where
 * a whole 10 MB file's would take gigabytes. No token spans a line break, and recovery never crosses a separator
 * (parser.ts), so every block lexes and parses exactly as it would within the whole file.
 */
const BLOCK_CHARACTERS = 64 * 1024;

/** `source` cut into blocks that end at a "\n" (but the last), with the offset each starts at. */
function* blocksOf(source: string): Generator<{ text: string; offset: number }> {
  for (let start = 0; start < source.length;) {
    const lineBreak = source.indexOf("\n", start + BLOCK_CHARACTERS);
    const end = lineBreak < 0 ? source.length : lineBreak + 1;
    yield { text: source.slice(start, end), offset: start };
    start = end;
  }
}

export interface ParseResult {
  program: Program;
  /** Lexical, syntax and literal (escape) diagnostics, ordered by position. */
  diagnostics: Diagnostic[];
}

export function parse(source: string): ParseResult {
  const lines = new LineIndex(source);
  const lexicalErrors: Diagnostic[] = [];
  const syntaxErrors: Diagnostic[] = [];
  // Filled as the blocks are read; buildAst maps the comments once it has read them all.
  const comments: IToken[] = [];
  function* parsedBlocks() {
    for (const { text, offset } of blocksOf(source)) {
      const { tokens, comments: blockComments, lexErrors, exceededLimits } = lex(text, offset);
      for (const comment of blockComments) comments.push(comment);
      for (const error of lexErrors) lexicalErrors.push(lexErrorToDiagnostic(error, source, lines));
      for (const { limit, token } of exceededLimits) {
        lexicalErrors.push(
          limit === "nesting"
            ? createDiagnostic("expressionTooDeep", tokenRange(token, lines), { max: MAX_EXPRESSION_NESTING })
            : createDiagnostic("expressionTooLong", tokenRange(token, lines), { max: MAX_EXPRESSION_OPERATORS }),
        );
      }
      const parsed = parseTokens(tokens);
      for (const error of withoutCascades(parsed.errors, parsed.cst, tokens)) {
        syntaxErrors.push(parseErrorToDiagnostic(error, tokens, lines));
      }
      yield { cst: parsed.cst, recovered: parsed.errors.length > 0 };
    }
  }
  const { program, diagnostics: literalDiagnostics } = buildAst(parsedBlocks(), comments, lines);
  return { program, diagnostics: sortByPosition([...lexicalErrors, ...syntaxErrors, ...literalDiagnostics]) };
}

/**
 * Keeps only the first parse error of a statement that recovery could not complete: having skipped ahead to
 * re-synchronise, the parser likely misreads the rest of it (in `sample seed=-x`, the `x` as the next option's
 * name). In a statement that recovery completed by inserting punctuation, the parse goes on accurately, so all
 * of its errors stand.
 */
function withoutCascades(
  errors: IRecognitionException[],
  cst: ProgramCstNode,
  tokens: IToken[],
): IRecognitionException[] {
  if (errors.length === 0) return errors;
  const separatorOffsets = tokens.filter((token) => tokenMatcher(token, Separator)).map((token) => token.startOffset);
  // Statements are numbered by the separators before them (found by bisection: there may be 100k errors and as
  // many statements); the end-of-file token has no offset, and is last.
  const statementAt = (offset: number) => {
    const at = Number.isNaN(offset) ? Infinity : offset;
    let [low, high] = [0, separatorOffsets.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (separatorOffsets[middle]! < at) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const incomplete = new Set(
    (cst.children.statement ?? [])
      .filter((statement) => !isComplete(statement))
      .map((statement) => statementAt(firstOffset(statement))),
  );
  const reported = new Set<number>();
  return errors.filter((error) => {
    const statement = statementAt(error.token.startOffset);
    const isCascade = incomplete.has(statement) && reported.has(statement);
    reported.add(statement);
    return !isCascade;
  });
}
