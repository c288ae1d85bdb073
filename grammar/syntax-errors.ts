// Turns Chevrotain's lexing and parsing errors into catalogue diagnostics with clear wording.
//
// Chevrotain hands a parse error's expectations only to its message provider and keeps nothing but the message
// string on the exception. So the provider below writes the expected token types into the message as JSON, and
// `parseErrorToDiagnostic` reads them back: the wording is decided here, from the catalogue, not by Chevrotain.

import {
  EOF,
  tokenLabel,
  tokenMatcher,
  type ILexingError,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import { createDiagnostic } from "../foundation/diagnostics.js";
import { joinWords } from "../foundation/text.js";
import type { LineIndex } from "../foundation/line-index.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import { allTokens, Identifier, Keyword, Newline, Separator, StringLiteral } from "./lexer.js";
import { tokenRange } from "./token-range.js";

const encodeExpected = (expected: TokenType[]): string =>
  JSON.stringify([...new Set(expected.map((type) => type.name))]);

export const expectationRecorder: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => encodeExpected([expected]),
  buildNotAllInputParsedMessage: () => encodeExpected([EOF]),
  buildNoViableAltMessage: ({ expectedPathsPerAlt }) =>
    encodeExpected(expectedPathsPerAlt.flatMap((paths) => paths.map((path) => path[0]!))),
  buildEarlyExitMessage: ({ expectedIterationPaths }) => encodeExpected(expectedIterationPaths.map((path) => path[0]!)),
};

const tokenTypesByName = new Map([...allTokens, EOF].map((type) => [type.name, type]));

function decodeExpected(message: string): TokenType[] {
  return (JSON.parse(message) as string[]).map((name) => tokenTypesByName.get(name)!);
}

/**
 * Describes a parse error. `tokens` is the parsed token stream, needed to tell apart the two ways the top-level
 * statement loop fails: at the start of a line something that can't start a statement, or after a complete
 * statement something other than a separator.
 */
export function parseErrorToDiagnostic(
  error: IRecognitionException & { previousToken?: IToken },
  tokens: readonly IToken[],
  lines: LineIndex,
): Diagnostic {
  const expected = decodeExpected(error.message);
  const found = error.token;
  const range = tokenRange(found, lines);
  // Not Chevrotain's `previousToken`: when recovery skips tokens inside a repetition, that is the last one skipped.
  const tokenBefore = found.tokenType === EOF ? tokens.at(-1) : tokens[tokens.indexOf(found) - 1];
  // Where a name is the only thing that fits, a keyword was surely meant as one; where a number or a parenthesis
  // would fit too, as in an expression, listing what fits says more.
  if (expected.length === 1 && expected[0] === Identifier && tokenMatcher(found, Keyword)) {
    return createDiagnostic("reservedWord", range, { word: found.image });
  }
  // Only the top-level loop expects the end of the file: the next token neither is a separator nor starts a statement.
  if (expected.includes(EOF) || error.previousToken === undefined) {
    const startsLine = tokenBefore === undefined || tokenMatcher(tokenBefore, Separator);
    return createDiagnostic(startsLine ? "expectedStatement" : "missingStatementSeparator", range, {
      found: describeToken(found),
    });
  }
  return createDiagnostic("expectedToken", range, {
    expected: joinWords(expected.map(tokenLabel), "or"),
    previous: describeToken(tokenBefore ?? error.previousToken),
    found: describeToken(found),
  });
}

export function lexErrorToDiagnostic(error: ILexingError, source: string, lines: LineIndex): Diagnostic {
  const firstCharacter = String.fromCodePoint(source.codePointAt(error.offset)!);
  return createDiagnostic("unexpectedCharacter", lines.rangeAt(error.offset, error.offset + error.length), {
    character: describeCharacter(firstCharacter),
  });
}

function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  if (token.tokenType === Newline) return "the end of the line";
  if (tokenMatcher(token, StringLiteral)) return `the string ${abbreviate(token.image)}`;
  return `'${token.image}'`;
}

const ABBREVIATION_LIMIT = 24;

function abbreviate(text: string): string {
  return text.length <= ABBREVIATION_LIMIT ? text : `${text.slice(0, ABBREVIATION_LIMIT - 1)}…`;
}

/** Quotes a printable character; names invisible ones (controls, unusual spaces) by code point. */
function describeCharacter(character: string): string {
  if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(character)) return `'${character}'`;
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}
