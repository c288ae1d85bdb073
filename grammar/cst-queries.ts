// Queries over Chevrotain CST nodes that don't depend on the grammar's shape.

import type { CstElement, CstNode } from "chevrotain";
import { minOf } from "../foundation/numbers.js";

const isNode = (element: CstElement): element is CstNode => "children" in element;

/** Whether recovery left `node` and everything in it whole (it may still have inserted punctuation). */
export function isComplete(node: CstNode): boolean {
  return (
    !node.recoveredNode &&
    Object.values(node.children).every((elements) =>
      elements.every((element) => !isNode(element) || isComplete(element)),
    )
  );
}

/** The offset of the first token written in `node` (tokens that recovery inserted have none). */
export function firstOffset(node: CstNode): number {
  const offsets = Object.values(node.children)
    .flat()
    .map((element) => (isNode(element) ? firstOffset(element) : element.startOffset))
    .filter((offset) => !Number.isNaN(offset));
  return minOf(offsets);
}
