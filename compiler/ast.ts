// Small queries over the AST shared by the checks and the planner.

import type { Program, Statement } from "./types.js";

export type StatementOfKind<Kind extends Statement["kind"]> = Extract<Statement, { kind: Kind }>;

/** The statements of one kind, in source order. */
export function statementsOfKind<Kind extends Statement["kind"]>(
  program: Program,
  kind: Kind,
): StatementOfKind<Kind>[] {
  return program.statements.filter((statement): statement is StatementOfKind<Kind> => statement.kind === kind);
}
