// Source ranges as tests write them: "line:col" of the start, or "line:col-line:col" of the whole range.

import type { SourceRange } from "../../foundation/source.js";

export const startOf = (range: SourceRange): string => `${range.start.line}:${range.start.column}`;

export const spanOf = (range: SourceRange): string => `${startOf(range)}-${range.end.line}:${range.end.column}`;
