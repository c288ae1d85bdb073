// Helpers for tests of the grammar, written once: parse a program and expect it clean, or list its problems.

import { expect } from "vitest";
import { parse } from "../../grammar/index.js";
import type { Expression, Statement } from "../../grammar/ast.js";
import { startOf } from "./ranges.js";

/** Parses a program that must have no diagnostics and returns its statements. */
export function statementsOf(source: string): Statement[] {
  const { program, diagnostics } = parse(source);
  expect(diagnostics).toEqual([]);
  return program.statements;
}

/** The one statement of a program that must parse without diagnostics. */
export function statementOf(source: string): Statement {
  const [statement, ...rest] = statementsOf(source);
  expect(rest).toEqual([]);
  return statement!;
}

/** Each diagnostic of parsing `source` as "CODE line:col". */
export function problems(source: string): string[] {
  return parse(source).diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`);
}

/** The value of `add VALUE to resid[L=0] in p`, as a compact string: binary operations in parentheses. */
export function valueOf(value: string): string {
  const statement = statementOf(`add ${value} to resid[L=0] in p`);
  if (statement.kind !== "add") throw new Error("expected an add statement");
  return show(statement.value);
}

function show(expression: Expression): string {
  switch (expression.kind) {
    case "number":
      return expression.number.text;
    case "capture":
      return expression.name.name;
    case "activation":
      return `${expression.site.name.name}${expression.site.selectors.length > 0 ? "[…]" : ""} of ${
        expression.source.kind === "prompt"
          ? expression.source.prompt.name
          : JSON.stringify(expression.source.text.value)
      }`;
    case "binary":
      return `(${show(expression.left)} ${expression.operator} ${show(expression.right)})`;
    case "negate":
      return `-${show(expression.operand)}`;
  }
}
