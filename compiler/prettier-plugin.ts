// The Prettier plugin for .ptch files: `prettier --plugin ptch/dist/compiler/prettier-plugin.js --write "**/*.ptch"`.
// A .ptch layout never wraps lines, so Prettier's document model has nothing to add: the parser formats the whole
// file with formatPtch, which is where a syntax error surfaces as Prettier expects it to, and the printer prints the
// result.

import type { Parser, Printer, SupportLanguage } from "prettier";
import { formatPtch } from "./format.js";
import type { Diagnostic } from "./types.js";

/** The one node of a parsed .ptch file. */
interface PtchFile {
  formatted: string;
  /** The length of the source, where the node ends. */
  sourceLength: number;
}

export const languages: SupportLanguage[] = [{ name: "ptch", parsers: ["ptch"], extensions: [".ptch"] }];

export const parsers: Record<"ptch", Parser<PtchFile>> = {
  ptch: {
    astFormat: "ptch",
    parse(source, options) {
      const { text, diagnostics } = formatPtch(source);
      if (text === undefined) throw syntaxError(options.filepath ?? "<input>", diagnostics);
      return { formatted: text, sourceLength: source.length };
    },
    locStart: () => 0,
    locEnd: (file) => file.sourceLength,
  },
};

export const printers: Record<"ptch", Printer<PtchFile>> = {
  ptch: { print: (path) => path.node.formatted },
};

/**
 * The error Prettier reports for a file that doesn't parse: every error, compiler-style, one per line. Its `loc`
 * is the first error's, from which Prettier adds a code frame (and without which it prints a stack trace).
 */
function syntaxError(fileName: string, diagnostics: Diagnostic[]): SyntaxError {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");
  const lines = errors.map(({ range: { start }, severity, code, message }) => {
    return `${fileName}:${start.line}:${start.column}: ${severity} ${code}: ${message}`;
  });
  const { start, end } = errors[0]!.range;
  return Object.assign(new SyntaxError(lines.join("\n")), { loc: { start, end } });
}
