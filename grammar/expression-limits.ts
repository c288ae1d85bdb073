// Limits on the size of a value expression or metric call. The parser, the AST builder and every later walk of a
// value (the checks, the planner, binding, the runtime's evaluation) recurse on its structure, so an expression or
// call nested or chained deeply enough would overflow the stack. The limits are checked here, on the tokens,
// before anything recursive runs; a statement over a limit is reported and left out of the parse.

import { tokenMatcher, type IToken } from "chevrotain";
import {
  Add,
  AdditiveOperator,
  LeftParenthesis,
  MultiplicativeOperator,
  RightParenthesis,
  Scale,
  Separator,
  SetKeyword,
} from "./lexer.js";

/** The most parentheses open at once in one statement (a value's or a metric call's). */
export const MAX_EXPRESSION_NESTING = 64;
/**
 * The most `+ - * /` in one value statement, signs included: each operator is a level of the expression's tree at
 * worst (`1 + 1 + …` groups to the left, `- - 1` nests).
 */
export const MAX_EXPRESSION_OPERATORS = 256;

/** The token that takes a statement over a limit. */
export interface ExpressionLimitExceeded {
  limit: "nesting" | "operators";
  token: IToken;
}

/** The statements that take a value; only their parse enters an expression, as a statement's first token decides. */
const VALUE_STATEMENT_KEYWORDS = [Add, SetKeyword, Scale];

/**
 * The tokens of `tokens` without the statements whose value exceeds a limit (their separators stay, so the parser
 * sees an empty statement there), and where each of those statements first exceeds each limit.
 */
export function withoutOversizedExpressions(tokens: readonly IToken[]): {
  tokens: IToken[];
  exceeded: ExpressionLimitExceeded[];
} {
  const kept: IToken[] = [];
  const exceeded: ExpressionLimitExceeded[] = [];
  for (const statement of statementsOf(tokens)) {
    const problems = limitsExceeded(statement);
    // Token by token: a statement may hold more tokens than a spread's arguments may (about 125k).
    if (problems.length === 0) for (const token of statement) kept.push(token);
    else {
      exceeded.push(...problems);
      for (const token of statement) if (tokenMatcher(token, Separator)) kept.push(token);
    }
  }
  return { tokens: kept, exceeded };
}

/** The tokens split after each separator: a statement's tokens, then the separator that ends it. */
function statementsOf(tokens: readonly IToken[]): IToken[][] {
  const statements: IToken[][] = [[]];
  for (const token of tokens) {
    statements.at(-1)!.push(token);
    if (tokenMatcher(token, Separator)) statements.push([]);
  }
  return statements;
}

function limitsExceeded(statement: readonly IToken[]): ExpressionLimitExceeded[] {
  const [first] = statement;
  // Parentheses nest in values and in metric calls (`prob(prob(…))`), so nesting counts in every statement.
  const takesValue = first !== undefined && VALUE_STATEMENT_KEYWORDS.some((keyword) => tokenMatcher(first, keyword));
  let nesting = 0;
  let operators = 0;
  const exceeded = new Map<ExpressionLimitExceeded["limit"], IToken>();
  for (const token of statement) {
    if (tokenMatcher(token, LeftParenthesis) && ++nesting > MAX_EXPRESSION_NESTING && !exceeded.has("nesting")) {
      exceeded.set("nesting", token);
    }
    if (tokenMatcher(token, RightParenthesis)) nesting = Math.max(0, nesting - 1);
    const isOperator = tokenMatcher(token, AdditiveOperator) || tokenMatcher(token, MultiplicativeOperator);
    if (takesValue && isOperator && ++operators > MAX_EXPRESSION_OPERATORS && !exceeded.has("operators")) {
      exceeded.set("operators", token);
    }
  }
  return [...exceeded].map(([limit, token]) => ({ limit, token }));
}
