// Token definitions and the lexer. The lexer is deliberately lenient about string contents: any string that
// closes on its line lexes, and one that doesn't lexes as an unclosed string, so that bad escapes and
// missing quotes are reported by the AST builder at their exact position instead of derailing the parse.

import { createToken, Lexer, type TokenType } from "chevrotain";
import { LINE_BREAK } from "../foundation/line-index.js";

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
export const Patch = keyword("patch");
export const Into = keyword("into");
export const Export = keyword("export");
export const Let = keyword("let");
export const Of = keyword("of");
export const Add = keyword("add");
export const To = keyword("to");
/** Not `Set`, which would shadow the built-in class. */
export const SetKeyword = keyword("set");
export const Scale = keyword("scale");
export const By = keyword("by");
export const Zero = keyword("zero");
export const Mean = keyword("mean");
export const Over = keyword("over");
export const In = keyword("in");
export const New = keyword("new");
export const Sample = keyword("sample");
export const Stop = keyword("stop");
export const Param = keyword("param");
export const Sweep = keyword("sweep");
export const Measure = keyword("measure");
export const At = keyword("at");

const keywords: readonly TokenType[] = [
  Model,
  Prompt,
  Generate,
  From,
  Patch,
  Into,
  Export,
  Let,
  Of,
  Add,
  To,
  SetKeyword,
  Scale,
  By,
  Zero,
  Mean,
  Over,
  In,
  New,
  Sample,
  Stop,
  Param,
  Sweep,
  Measure,
  At,
];

/** Category the parser consumes for strings; the AST builder reports the unclosed ones. */
export const StringLiteral = createToken({ name: "StringLiteral", pattern: Lexer.NA, label: "a string" });
export const ClosedString = createToken({
  name: "ClosedString",
  // The loop unrolled (runs of plain characters between escapes): an alternation repeated per character would
  // take a frame of the regular expression engine's stack per character, and overflow on a string of megabytes.
  pattern: /"[^"\\\r\n]*(?:\\[^\r\n][^"\\\r\n]*)*"/,
  categories: [StringLiteral],
});
/** A string cut off by the end of its line or of the file. A trailing lone backslash belongs to it too. */
export const UnclosedString = createToken({
  name: "UnclosedString",
  pattern: /"[^"\\\r\n]*(?:\\[^\r\n][^"\\\r\n]*)*\\?/,
  categories: [StringLiteral],
});

/**
 * A vocabulary id, `#338`, as a measure's token argument. Only after `(` or `,` on the same line: anywhere else
 * `#` starts a comment, so that a comment such as `#1 first step` stays one.
 */
export const TokenId = createToken({
  name: "TokenId",
  pattern: {
    exec: (text, offset) => {
      const match = /^#[0-9]+(?![A-Za-z0-9_])/.exec(text.slice(offset, offset + 24));
      if (!match) return null;
      let before = offset - 1;
      while (before >= 0 && (text[before] === " " || text[before] === "\t")) before--;
      return text[before] === "(" || text[before] === "," ? match : null;
    },
  },
  start_chars_hint: ["#"],
  line_breaks: false,
  label: "a token id",
});

/** Category of both kinds of number, for the places that take either. */
export const Numeral = createToken({ name: "Numeral", pattern: Lexer.NA, label: "a number" });
/**
 * A number with a fraction or an exponent: 0.5, 1e-3, 2.5E+4. A fraction needs digits on both sides of its point,
 * so that `1..4` lexes as an integer, '..' and an integer.
 */
export const Decimal = createToken({
  name: "Decimal",
  pattern: /[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)/,
  categories: [Numeral],
});
export const Integer = createToken({ name: "Integer", pattern: /[0-9]+/, label: "an integer", categories: [Numeral] });
export const DotDot = createToken({ name: "DotDot", pattern: "..", label: "'..'" });
export const Equals = createToken({ name: "Equals", pattern: "=", label: "'='" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "','" });
export const LeftBracket = createToken({ name: "LeftBracket", pattern: "[", label: "'['" });
export const RightBracket = createToken({ name: "RightBracket", pattern: "]", label: "']'" });
export const LeftParenthesis = createToken({ name: "LeftParenthesis", pattern: "(", label: "'('" });
export const RightParenthesis = createToken({ name: "RightParenthesis", pattern: ")", label: "')'" });

/**
 * Operators by precedence level. A level's operators share a category so that the CST keeps them in source order
 * (children are grouped by token type, which would separate the '+'s from the '-'s of `a + b - c`).
 */
export const AdditiveOperator = createToken({ name: "AdditiveOperator", pattern: Lexer.NA, label: "'+' or '-'" });
export const MultiplicativeOperator = createToken({
  name: "MultiplicativeOperator",
  pattern: Lexer.NA,
  label: "'*' or '/'",
});
export const Plus = createToken({ name: "Plus", pattern: "+", label: "'+'", categories: [AdditiveOperator] });
/** Also the sign of a negative number and unary minus. */
export const Minus = createToken({ name: "Minus", pattern: "-", label: "'-'", categories: [AdditiveOperator] });
/** Also `pos=*`, every position. */
export const Star = createToken({ name: "Star", pattern: "*", label: "'*'", categories: [MultiplicativeOperator] });
export const Slash = createToken({ name: "Slash", pattern: "/", label: "'/'", categories: [MultiplicativeOperator] });

/** Tokens that carry no meaning beyond their presence, so error recovery may assume a missing one. */
export const punctuation: ReadonlySet<TokenType> = new Set([Equals, RightBracket, RightParenthesis]);

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

export const BYTE_ORDER_MARK = "\uFEFF";
/**
 * The byte order mark some editors write at the start of a UTF-8 file. Skipped there, and only there: elsewhere
 * U+FEFF is an invisible character that is better reported than silently ignored. Skipping it keeps the offsets of
 * everything after it, so ranges stay right.
 */
export const ByteOrderMark = createToken({
  name: "ByteOrderMark",
  pattern: { exec: (text, offset) => (offset === 0 && text.startsWith(BYTE_ORDER_MARK) ? [BYTE_ORDER_MARK] : null) },
  start_chars_hint: [BYTE_ORDER_MARK],
  line_breaks: false,
  group: Lexer.SKIPPED,
});

// Order matters: the first matching pattern wins. Longer keywords come before their prefixes ("into" before
// "in") and all keywords before Identifier; closed strings before unclosed ones; decimals before integers.
export const allTokens: TokenType[] = [
  ByteOrderMark,
  Whitespace,
  TokenId,
  Comment,
  Newline,
  Semicolon,
  Separator,
  ClosedString,
  UnclosedString,
  StringLiteral,
  Decimal,
  Integer,
  Numeral,
  DotDot,
  Equals,
  Comma,
  LeftBracket,
  RightBracket,
  LeftParenthesis,
  RightParenthesis,
  Plus,
  Minus,
  Star,
  Slash,
  AdditiveOperator,
  MultiplicativeOperator,
  Keyword,
  ...[...keywords].sort((a, b) => String(b.PATTERN).length - String(a.PATTERN).length),
  Identifier,
];

export const lexer = new Lexer(allTokens, {
  // Ranges come from start offsets and images through the LineIndex (token-range.ts): lines, columns and end
  // offsets per token would only cost memory. ("onlyOffset" keeps start offsets only in this Chevrotain.)
  positionTracking: "onlyOffset",
  lineTerminatorsPattern: new RegExp(LINE_BREAK, "g"),
  lineTerminatorCharacters: ["\n", "\r"],
  ensureOptimizations: true,
});
