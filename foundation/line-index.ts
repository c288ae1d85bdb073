// Maps UTF-16 offsets in a source text to 1-based line/column positions and back to line text.
// Every stage derives positions through this one class so that they agree on what a line break is.

import type { SourcePosition, SourceRange } from "./source.js";

/** The line breaks the language recognises; the lexer is configured with the same set. */
export const LINE_BREAK = /\r\n|\r|\n/;

export class LineIndex {
  /** Offset of the first character of each line; `lineStarts[0]` is always 0. */
  private readonly lineStarts: number[] = [0];

  constructor(private readonly source: string) {
    for (const lineBreak of source.matchAll(new RegExp(LINE_BREAK, "g"))) {
      this.lineStarts.push(lineBreak.index + lineBreak[0].length);
    }
  }

  /** The position of `offset`, clamped to the text so that a stray offset still yields a usable position. */
  positionAt(offset: number): SourcePosition {
    const clamped = Math.min(Math.max(0, offset), this.source.length);
    const lineIndex = this.lineIndexOf(clamped);
    return { offset: clamped, line: lineIndex + 1, column: clamped - this.lineStarts[lineIndex]! + 1 };
  }

  /** The source text a range covers. */
  textOf(range: SourceRange): string {
    return this.source.slice(range.start.offset, range.end.offset);
  }

  /** The empty range just past the last character, where "the end of the file" is reported. */
  endOfText(): SourceRange {
    return this.rangeAt(this.source.length, this.source.length);
  }

  /** The range from `startOffset` up to (not including) `endOffset`. */
  rangeAt(startOffset: number, endOffset: number): SourceRange {
    return { start: this.positionAt(startOffset), end: this.positionAt(endOffset) };
  }

  /** The text of 1-based line `line`, without its line break; "" past the end. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return "";
    const nextStart = this.lineStarts[line] ?? this.source.length;
    // The slice ends with exactly this line's break (one or two characters), if it has one.
    return this.source.slice(start, nextStart).replace(/[\r\n]+$/, "");
  }

  /** The line of the last lookup: the parser asks for positions in order, mostly on the same line. */
  private lastLine = 0;

  /** The last line starting at or before `offset`: the last lookup's line, or a binary search. */
  private lineIndexOf(offset: number): number {
    const last = this.lastLine;
    if (this.lineStarts[last]! <= offset && !(this.lineStarts[last + 1]! <= offset)) return last;
    this.lastLine = this.searchLine(offset);
    return this.lastLine;
  }

  private searchLine(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
