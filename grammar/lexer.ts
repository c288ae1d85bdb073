// Token definitions and the lexer. The lexer is deliberately lenient about string contents: any string that
// closes on its line lexes, and one that doesn't lexes as an unclosed string, so that bad escapes and
// missing quotes are reported by the AST builder at their exact position instead of derailing the parse.

import { createToken, Lexer, type TokenType } from "chevrotain";
import { LINE_BREAK } from "../compiler/line-index.js";

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

/** Category of every reserved word, so that the parser can explain why a keyword isn't accepted as a name. */
export const Keyword = createToken({ name: "Keyword", pattern: Lexer.NA });

function keyword(word: string): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return createToken({ name, pattern: word, label: `'${word}'`, longer_alt: Identifier, categories: [Keyword] });
}

export const Model = keyword("model");
export const Prompt = keyword("prompt");
export const Generate = keyword("generate");
export const From = keyword("from");

/** Words reserved now for the statements of later language versions, so that adding them breaks no program. */
const reservedForLaterUse = [
  "patch",
  "into",
  "let",
  "of",
  "add",
  "to",
  "set",
  "scale",
  "by",
  "zero",
  "mean",
  "over",
  "in",
  "sample",
  "stop",
  "param",
  "sweep",
].map(keyword);

const keywords: readonly TokenType[] = [Model, Prompt, Generate, From, ...reservedForLaterUse];

/** Category the parser consumes for strings; the AST builder reports the unclosed ones. */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: Lexer.NA, label: "a string" });
export const ClosedString = createToken({
  name: "ClosedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  categories: [StringLiteral],
});
/** A string cut off by the end of its line or of the file. A trailing lone backslash belongs to it too. */
export const UnclosedString = createToken({
  name: "UnclosedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*\\?/,
  categories: [StringLiteral],
});

export const Integer = createToken({ name: "Integer", pattern: /[0-9]+/, label: "an integer" });
export const Equals = createToken({ name: "Equals", pattern: "=", label: "'='" });

/** Tokens that carry no meaning beyond their presence, so error recovery may assume a missing one. */
export const punctuation: ReadonlySet<TokenType> = new Set([Equals]);

/** Statements end at a newline or a semicolon; both are this category to the parser. */
export const Separator = createToken({ name: "Separator", pattern: Lexer.NA });
export const Newline = createToken({
  name: "Newline",
  pattern: LINE_BREAK,
  line_breaks: true,
  categories: [Separator],
});
export const Semicolon = createToken({ name: "Semicolon", pattern: ";", categories: [Separator] });

/** Comments go to their own group: the parser never sees them, the AST and a formatter still do. */
export const Comment = createToken({ name: "Comment", pattern: /#[^\r\n]*/, group: "comments" });
export const Whitespace = createToken({ name: "Whitespace", pattern: /[ \t]+/, group: Lexer.SKIPPED });

// Order matters: the first matching pattern wins. Longer keywords come before their prefixes ("into" before
// "in") and all keywords before Identifier; closed strings before unclosed ones.
export const allTokens: TokenType[] = [
  Whitespace,
  Comment,
  Newline,
  Semicolon,
  Separator,
  ClosedString,
  UnclosedString,
  StringLiteral,
  Integer,
  Equals,
  Keyword,
  ...[...keywords].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
];

export const lexer = new Lexer(allTokens, {
  positionTracking: "full",
  lineTerminatorsPattern: new RegExp(LINE_BREAK, "g"),
  lineTerminatorCharacters: ["\n", "\r"],
  ensureOptimizations: true,
});
