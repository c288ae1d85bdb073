// Where a token is, as a SourceRange. The lexer tracks only start offsets (lexer.ts), so a token ends where its
// image does, and every range is derived from offsets through the one LineIndex.

import { EOF, type IToken } from "chevrotain";
import type { LineIndex } from "../foundation/line-index.js";
import type { SourceRange } from "../foundation/source.js";
import { Newline } from "./lexer.js";

/** The range of a token; the end-of-file token, which has no offsets, sits at the end of the text. */
export function tokenRange(token: IToken, lines: LineIndex): SourceRange {
  if (token.tokenType === EOF) return lines.endOfText();
  // An error at a line break is reported as an empty range at the end of the line, not one spanning into the next.
  if (token.tokenType === Newline) return lines.rangeAt(token.startOffset, token.startOffset);
  return lines.rangeAt(token.startOffset, token.startOffset + token.image.length);
}
