// CST → AST. The grammar only recognises shapes; meaning is given here: string escapes are decoded, numbers
// parsed, ranges attached. Statements that recovery left incomplete are omitted (their syntax error is already
// reported), but a statement whose only defect is inside a string literal is kept with its best-effort value,
// so that later checks don't report a cascade of "no prompt named ..." errors.

import type { IToken } from "chevrotain";
import { createDiagnostic, type DiagnosticName } from "../compiler/diagnostics.js";
import type { LineIndex } from "../compiler/line-index.js";
import type {
  Comment,
  Diagnostic,
  GenerateStatement,
  Identifier,
  ModelStatement,
  NumberLiteral,
  Program,
  PromptStatement,
  SourceRange,
  Statement,
  StringLiteral,
} from "../compiler/types.js";
import { ClosedString } from "./lexer.js";
import {
  parser,
  type GenerateStatementCst,
  type ModelStatementCst,
  type ProgramCst,
  type PromptStatementCst,
  type StatementCst,
} from "./parser.js";
import { tokenRange } from "./token-range.js";

export function buildAst(
  cst: ProgramCst,
  comments: IToken[],
  lines: LineIndex,
): { program: Program; diagnostics: Diagnostic[] } {
  const builder = new AstBuilder(lines);
  const statements = builder.visit(cst) as Statement[];
  const program: Program = {
    statements,
    comments: comments.map((token) => builder.comment(token)),
    range: { start: lines.positionAt(0), end: lines.endOfText().end },
  };
  return { program, diagnostics: builder.diagnostics };
}

const BaseVisitor = parser.getBaseCstVisitorConstructor<void, unknown>();

class AstBuilder extends BaseVisitor {
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly lines: LineIndex) {
    super();
    this.validateVisitor();
  }

  program(children: ProgramCst["children"]): Statement[] {
    return (children.statement ?? []).flatMap((statement) => (this.visit(statement) as Statement | undefined) ?? []);
  }

  statement(children: StatementCst["children"]): Statement | undefined {
    const form = children.modelStatement ?? children.promptStatement ?? children.generateStatement;
    return form && (this.visit(form) as Statement | undefined);
  }

  modelStatement(children: ModelStatementCst["children"]): ModelStatement | undefined {
    const keyword = present(children.Model);
    const ref = present(children.StringLiteral);
    if (!keyword || !ref) return undefined;
    return { kind: "model", ref: this.stringLiteral(ref), range: this.span(keyword, ref) };
  }

  promptStatement(children: PromptStatementCst["children"]): PromptStatement | undefined {
    const keyword = present(children.Prompt);
    const name = present(children.Identifier);
    const text = present(children.StringLiteral);
    if (!keyword || !name || !text) return undefined;
    return {
      kind: "prompt",
      name: this.identifier(name),
      text: this.stringLiteral(text),
      range: this.span(keyword, text),
    };
  }

  generateStatement(children: GenerateStatementCst["children"]): GenerateStatement | undefined {
    const keyword = present(children.Generate);
    const count = present(children.Integer);
    const prompt = present(children.Identifier);
    if (!keyword || !count || !prompt) return undefined;
    return {
      kind: "generate",
      count: this.numberLiteral(count),
      prompt: this.identifier(prompt),
      range: this.span(keyword, prompt),
    };
  }

  comment(token: IToken): Comment {
    return { text: token.image.slice("#".length), range: tokenRange(token, this.lines) };
  }

  private identifier(token: IToken): Identifier {
    return { name: token.image, range: tokenRange(token, this.lines) };
  }

  private numberLiteral(token: IToken): NumberLiteral {
    return { value: Number(token.image), text: token.image, range: tokenRange(token, this.lines) };
  }

  private stringLiteral(token: IToken): StringLiteral {
    const range = tokenRange(token, this.lines);
    const isClosed = token.tokenType === ClosedString;
    if (!isClosed) this.diagnostics.push(createDiagnostic("unterminatedString", range, {}));
    const contentOffset = token.startOffset + '"'.length;
    const content = token.image.slice('"'.length, isClosed ? -'"'.length : undefined);
    const { value, problems } = decodeEscapes(content);
    for (const problem of problems) {
      const problemRange = this.lines.rangeAt(contentOffset + problem.start, contentOffset + problem.end);
      this.diagnostics.push(createDiagnostic(problem.name, problemRange, { escape: `'${problem.text}'` }));
    }
    return { value, range };
  }

  private span(first: IToken, last: IToken): SourceRange {
    return { start: tokenRange(first, this.lines).start, end: tokenRange(last, this.lines).end };
  }
}

/** The token a statement needs, unless recovery skipped it or only inserted a placeholder for it. */
function present(tokens: IToken[] | undefined): IToken | undefined {
  const token = tokens?.[0];
  return token && !token.isInsertedInRecovery ? token : undefined;
}

// ---------------------------------------------------------------------------------------------
// String escapes

type EscapeProblemName = Extract<DiagnosticName, "unknownEscape" | "malformedUnicodeEscape" | "invalidCodePoint">;

export interface EscapeProblem {
  name: EscapeProblemName;
  /** Offsets into the string's content (after the opening quote): `start` is the backslash, `end` exclusive. */
  start: number;
  end: number;
  /** The escape as written, for the message. */
  text: string;
}

const SIMPLE_ESCAPES = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["n", "\n"],
  ["t", "\t"],
]);

/** `\u`, then optionally `{`, hex digits and `}`; what is missing shows which form of mistake it is. */
const UNICODE_ESCAPE = /\\u(?:\{([0-9A-Fa-f]*)(\}?))?/y;
const MAX_UNICODE_ESCAPE_DIGITS = 6;

/**
 * Resolves the escapes in a string's content. A bad escape contributes nothing to the value and is reported as a
 * problem, so that one string can report several at once.
 */
export function decodeEscapes(content: string): { value: string; problems: EscapeProblem[] } {
  let value = "";
  const problems: EscapeProblem[] = [];
  let index = 0;
  while (index < content.length) {
    const backslash = content.indexOf("\\", index);
    if (backslash === -1) {
      value += content.slice(index);
      break;
    }
    value += content.slice(index, backslash);
    const escape = decodeEscapeAt(content, backslash);
    if ("problem" in escape) problems.push(escape.problem);
    else value += escape.value;
    index = escape.end;
  }
  return { value, problems };
}

type DecodedEscape = { value: string; end: number } | { problem: EscapeProblem; end: number };

function decodeEscapeAt(content: string, backslash: number): DecodedEscape {
  const escaped = content.codePointAt(backslash + 1);
  // A backslash at the very end only occurs in an unterminated string, which is reported already.
  if (escaped === undefined) return { value: "", end: backslash + 1 };
  const escapedCharacter = String.fromCodePoint(escaped);
  const simple = SIMPLE_ESCAPES.get(escapedCharacter);
  if (simple !== undefined) return { value: simple, end: backslash + 2 };
  if (escapedCharacter !== "u") {
    return problemAt("unknownEscape", content, backslash, backslash + 1 + escapedCharacter.length);
  }

  UNICODE_ESCAPE.lastIndex = backslash;
  const [written, hexDigits, closingBrace] = UNICODE_ESCAPE.exec(content)!;
  const end = backslash + written.length;
  const isWellFormed =
    hexDigits !== undefined &&
    hexDigits.length >= 1 &&
    hexDigits.length <= MAX_UNICODE_ESCAPE_DIGITS &&
    closingBrace === "}";
  if (!isWellFormed) return problemAt("malformedUnicodeEscape", content, backslash, end);
  const codePoint = Number.parseInt(hexDigits, 16);
  const isScalarValue = codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
  if (!isScalarValue) return problemAt("invalidCodePoint", content, backslash, end);
  return { value: String.fromCodePoint(codePoint), end };
}

function problemAt(name: EscapeProblemName, content: string, start: number, end: number): DecodedEscape {
  return { problem: { name, start, end, text: content.slice(start, end) }, end };
}
