// The Prettier plugin for .ptch files, built to dist/compiler/prettier-plugin.js: `prettier --plugin PATH x.ptch`.
// A .ptch layout never wraps lines, so Prettier's document model has nothing to add: the parser formats the whole
// file with formatPtch, which is where a syntax error surfaces as Prettier expects it to, and the printer prints the
// result.

import type { Parser, Printer, SupportLanguage } from "prettier";
import { formatPtch } from "./format.js";
import { formatDiagnostic } from "./index.js";
import type { Diagnostic } from "../foundation/diagnostics.js";

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
      if (text === undefined) throw syntaxError(diagnostics, options.filepath ?? "<input>", source);
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
 * The error Prettier reports for a file that doesn't parse: each error's first line as the compiler writes it,
 * `file:line:col: error CODE: message`. Its `loc` is the first error's: from it Prettier shows the code there (and
 * without one it would print a stack trace).
 */
function syntaxError(diagnostics: Diagnostic[], fileName: string, source: string): SyntaxError {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");
  const headlines = errors.map((error) => formatDiagnostic(error, fileName, source).split("\n", 1)[0]);
  const { start, end } = errors[0]!.range;
  return Object.assign(new SyntaxError(headlines.join("\n")), { loc: { start, end } });
}
