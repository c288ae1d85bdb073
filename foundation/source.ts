// Places in source text, as every stage reports them: the foundation layer, which imports no other.

/** A point in source text. `offset` is a 0-based UTF-16 index; `line` and `column` are 1-based. */
export interface SourcePosition {
  offset: number;
  line: number;
  column: number;
}

/** A half-open span of source text: `start` is the first character, `end` the position just after the last. */
export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}
