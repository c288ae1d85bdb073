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
  /** The file was too large or too broken to parse at all (its CST is empty). */
  tooComplex?: boolean;
}

/** Lexes and parses `source` into Chevrotain's CST, for tools that need every token (formatters, editors). */
export function parseCst(source: string): CstParseResult {
  const lexed = lexer.tokenize(source);
  const { tokens, exceeded } = withoutOversizedExpressions(lexed.tokens);
  const comments = lexed.groups["comments"] ?? [];
  parser.input = tokens;
  try {
    const cst = parser.program() as ProgramCstNode;
    return { cst, tokens, comments, lexErrors: lexed.errors, parseErrors: parser.errors, exceededLimits: exceeded };
  } catch (error) {
    // Chevrotain's error recovery recurses once per error inside a list, so tens of thousands of malformed
    // items exhaust the stack. Such a file gets one diagnostic instead of a crash.
    if (!(error instanceof RangeError)) throw error;
    parser.input = [];
    const empty = parser.program() as ProgramCstNode;
    return {
      cst: empty,
      tokens: [],
      comments,
      lexErrors: lexed.errors,
      parseErrors: [],
      exceededLimits: exceeded,
      tooComplex: true,
    };
  }
}

export interface ParseResult {
  program: Program;
  /** Lexical, syntax and literal (escape) diagnostics, ordered by position. */
  diagnostics: Diagnostic[];
}

export function parse(source: string): ParseResult {
  const { cst, tokens, comments, lexErrors, parseErrors, exceededLimits, tooComplex } = parseCst(source);
  const lines = new LineIndex(source);
  if (tooComplex) {
    const whole = lines.rangeAt(0, source.length);
    return {
      program: { statements: [], comments: [], range: whole },
      diagnostics: [createDiagnostic("fileTooComplex", lines.rangeAt(0, 0), {})],
    };
  }
  const { program, diagnostics: literalDiagnostics } = buildAst(cst, comments, lines);
  const diagnostics = sortByPosition([
    ...lexErrors.map((error) => lexErrorToDiagnostic(error, source, lines)),
    ...exceededLimits.map(({ limit, token }) =>
      limit === "nesting"
        ? createDiagnostic("expressionTooDeep", tokenRange(token, lines), { max: MAX_EXPRESSION_NESTING })
        : createDiagnostic("expressionTooLong", tokenRange(token, lines), { max: MAX_EXPRESSION_OPERATORS }),
    ),
    ...withoutCascades(parseErrors, cst, tokens).map((error) => parseErrorToDiagnostic(error, tokens, lines)),
    ...literalDiagnostics,
  ]);
  return { program, diagnostics };
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
  const separatorOffsets = tokens.filter((token) => tokenMatcher(token, Separator)).map((token) => token.startOffset);
  // Statements are numbered by the separators before them; the end-of-file token has no offset, and is last.
  const statementAt = (offset: number) => {
    const at = Number.isNaN(offset) ? Infinity : offset;
    return separatorOffsets.filter((separator) => separator < at).length;
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
