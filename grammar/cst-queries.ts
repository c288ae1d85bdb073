// Queries over Chevrotain CST nodes that don't depend on the grammar's shape.

import type { CstElement, CstNode } from "chevrotain";
import { minOf } from "../foundation/numbers.js";

const isNode = (element: CstElement): element is CstNode => "children" in element;

/** Whether recovery left `node` and everything in it whole (it may still have inserted punctuation). */
export function isComplete(node: CstNode): boolean {
  if (node.recoveredNode) return false;
  // Loops rather than Object.values(…).every: this runs on every node of every statement.
  for (const key in node.children) {
    for (const element of node.children[key]!) if (isNode(element) && !isComplete(element)) return false;
  }
  return true;
}

/** The offset of the first token written in `node` (tokens that recovery inserted have none). */
export function firstOffset(node: CstNode): number {
  const offsets = Object.values(node.children)
    .flat()
    .map((element) => (isNode(element) ? firstOffset(element) : element.startOffset))
    .filter((offset) => !Number.isNaN(offset));
  return minOf(offsets);
}
