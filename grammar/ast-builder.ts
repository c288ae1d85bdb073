// CST → AST. The grammar only recognises shapes; meaning is given here: string escapes are decoded, numbers
// parsed, operators grouped, ranges attached. Statements that recovery left incomplete are omitted (their syntax
// error is already reported), but a statement whose only defect is inside a string literal is kept with its
// best-effort value, so that later checks don't report a cascade of "no prompt named ..." errors.

import type { IToken, TokenType } from "chevrotain";
import { isName, type BinaryOperator } from "./ast-queries.js";
import { createDiagnostic, type DiagnosticName } from "../foundation/diagnostics.js";
import type { LineIndex } from "../foundation/line-index.js";
import type {
  AddStatement,
  CaptureSource,
  Comment,
  Expression,
  GenerateMeasure,
  GenerateStatement,
  Identifier,
  LetStatement,
  MeanStatement,
  MeasureStatement,
  MetricArgument,
  MetricCall,
  ModelStatement,
  NumberLiteral,
  NumberOrName,
  ParamStatement,
  PatchSide,
  PatchStatement,
  Program,
  PromptStatement,
  SamplingClause,
  SamplingOption,
  ScaleStatement,
  Selector,
  SelectorValue,
  SetStatement,
  SiteReference,
  Statement,
  StringLiteral,
  StringOrName,
  SweepStatement,
  SweepValues,
  ZeroStatement,
} from "./ast.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { SourceRange } from "../foundation/source.js";
import { isComplete } from "./cst-queries.js";
import { ClosedString, Minus, Plus, Slash, Star } from "./lexer.js";
import type * as Cst from "./cst.js";
import { parser } from "./parser.js";
import { tokenRange } from "./token-range.js";

export function buildAst(
  blocks: Iterable<{ cst: Cst.ProgramCstNode; recovered: boolean }>,
  /** Read only after the last block: `blocks` may still be adding to it. */
  comments: readonly IToken[],
  lines: LineIndex,
): { program: Program; diagnostics: Diagnostic[] } {
  const builder = new AstBuilder(lines);
  const statements: Statement[] = [];
  for (const { cst, recovered } of blocks) {
    builder.recovered = recovered;
    for (const statement of builder.program(cst.children)) statements.push(statement);
  }
  const program: Program = {
    statements,
    comments: comments.map((token) => builder.comment(token)),
    range: { start: lines.positionAt(0), end: lines.endOfText().end },
  };
  return { program, diagnostics: builder.diagnostics };
}

const BINARY_OPERATORS = new Map<TokenType, BinaryOperator>([
  [Plus, "+"],
  [Minus, "-"],
  [Star, "*"],
  [Slash, "/"],
]);

/** A bracketed selector list and where it is, brackets included. */
interface SelectorList {
  selectors: Selector[];
  range: SourceRange;
}

const BaseVisitor = parser.getBaseCstVisitorConstructor<void, unknown>();

class AstBuilder extends BaseVisitor implements Cst.CstVisitor<void, unknown> {
  readonly diagnostics: Diagnostic[] = [];
  /** Whether the parser reported errors in the CST being built: only then may recovery have left gaps. */
  recovered = false;

  constructor(private readonly lines: LineIndex) {
    super();
    this.validateVisitor();
  }

  program(children: Cst.ProgramCstChildren): Statement[] {
    return (children.statement ?? []).flatMap((statement) => this.statement(statement.children) ?? []);
  }

  /**
   * A statement that recovery re-synchronised anywhere inside lacks some part, and is left out. Every other
   * statement is whole: recovery at most inserted punctuation or skipped stray tokens, neither of which the AST
   * needs.
   */
  statement(children: Cst.StatementCstChildren): Statement | undefined {
    const [form] = Object.values(children).flat();
    if (!form || (this.recovered && !isComplete(form))) return undefined;
    switch (form.name) {
      case "modelStatement":
        return this.modelStatement(form.children);
      case "promptStatement":
        return this.promptStatement(form.children);
      case "paramStatement":
        return this.paramStatement(form.children);
      case "sweepStatement":
        return this.sweepStatement(form.children);
      case "letStatement":
        return this.letStatement(form.children);
      case "patchStatement":
        return this.patchStatement(form.children);
      case "addStatement":
        return this.addStatement(form.children);
      case "setStatement":
        return this.setStatement(form.children);
      case "scaleStatement":
        return this.scaleStatement(form.children);
      case "zeroStatement":
        return this.zeroStatement(form.children);
      case "meanStatement":
        return this.meanStatement(form.children);
      case "generateStatement":
        return this.generateStatement(form.children);
      case "measureStatement":
        return this.measureStatement(form.children);
    }
  }

  modelStatement(children: Cst.ModelStatementCstChildren): ModelStatement {
    const ref = only(children.StringLiteral);
    return { kind: "model", ref: this.stringLiteral(ref), range: this.span(only(children.Model), ref) };
  }

  promptStatement(children: Cst.PromptStatementCstChildren): PromptStatement {
    const text = this.stringOrName(only(children.stringOrName).children);
    return {
      kind: "prompt",
      name: this.identifier(only(children.Identifier)),
      text,
      range: this.from(only(children.Prompt), text.range),
    };
  }

  paramStatement(children: Cst.ParamStatementCstChildren): ParamStatement {
    const value = this.literal(only(children.literal).children);
    return {
      kind: "param",
      name: this.identifier(only(children.Identifier)),
      default: value,
      range: this.from(only(children.Param), value.range),
    };
  }

  sweepStatement(children: Cst.SweepStatementCstChildren): SweepStatement {
    const values = children.sweepRange
      ? this.sweepRange(only(children.sweepRange).children)
      : this.sweepList(only(children.sweepList).children);
    return {
      kind: "sweep",
      name: this.identifier(only(children.Identifier)),
      values,
      range: this.from(only(children.Sweep), values.range),
    };
  }

  sweepRange(children: Cst.SweepRangeCstChildren): SweepValues {
    const [from, to] = pair(children.signedNumber.map((number) => this.signedNumber(number.children)));
    return { kind: "range", from, to, range: between(from.range, to.range) };
  }

  sweepList(children: Cst.SweepListCstChildren): SweepValues {
    const items = (children.literal ?? []).map((literal) => this.literal(literal.children));
    // A ']' that recovery inserted has no position: the list then ends with its last item.
    const closing = present(children.RightBracket);
    const end = closing ? tokenRange(closing, this.lines) : items.at(-1)?.range;
    return { kind: "list", items, range: this.from(only(children.LeftBracket), end) };
  }

  literal(children: Cst.LiteralCstChildren): NumberLiteral | StringLiteral {
    if (children.StringLiteral) return this.stringLiteral(only(children.StringLiteral));
    return this.signedNumber(only(children.signedNumber).children);
  }

  letStatement(children: Cst.LetStatementCstChildren): LetStatement {
    const source = this.captureSource(only(children.captureSource).children);
    return {
      kind: "let",
      exported: children.Export !== undefined,
      name: this.identifier(only(children.Identifier)),
      site: this.site(only(children.site).children),
      source,
      range: this.from(only(children.Export ?? children.Let), source.range),
    };
  }

  patchStatement(children: Cst.PatchStatementCstChildren): PatchStatement {
    const [source, target] = pair(children.patchSide.map((side) => this.patchSide(side.children)));
    return {
      kind: "patch",
      site: this.site(only(children.site).children),
      source,
      target,
      range: this.from(only(children.Patch), target.range),
    };
  }

  addStatement(children: Cst.AddStatementCstChildren): AddStatement {
    const prompt = only(children.Identifier);
    return {
      kind: "add",
      value: this.expression(only(children.expression).children),
      site: this.site(only(children.site).children),
      prompt: this.identifier(prompt),
      range: this.span(only(children.Add), prompt),
    };
  }

  setStatement(children: Cst.SetStatementCstChildren): SetStatement {
    const value = this.expression(only(children.expression).children);
    return {
      kind: "set",
      site: this.site(only(children.site).children),
      prompt: this.identifier(only(children.Identifier)),
      value,
      range: this.from(only(children.Set), value.range),
    };
  }

  scaleStatement(children: Cst.ScaleStatementCstChildren): ScaleStatement {
    const factor = this.expression(only(children.expression).children);
    return {
      kind: "scale",
      site: this.site(only(children.site).children),
      prompt: this.identifier(only(children.Identifier)),
      factor,
      range: this.from(only(children.Scale), factor.range),
    };
  }

  zeroStatement(children: Cst.ZeroStatementCstChildren): ZeroStatement {
    const prompt = only(children.Identifier);
    return {
      kind: "zero",
      site: this.site(only(children.site).children),
      prompt: this.identifier(prompt),
      range: this.span(only(children.Zero), prompt),
    };
  }

  meanStatement(children: Cst.MeanStatementCstChildren): MeanStatement {
    const prompt = this.identifier(only(children.Identifier));
    const averaged = children.Identifier.slice(1).map((token) => this.identifier(token));
    const overRange = this.from(only(children.Over), averaged.at(-1)?.range);
    return {
      kind: "mean",
      site: this.site(only(children.site).children),
      prompt,
      over: { prompts: averaged, range: overRange },
      range: this.from(only(children.Mean), overRange),
    };
  }

  generateStatement(children: Cst.GenerateStatementCstChildren): GenerateStatement {
    const prompt = this.identifier(only(children.Identifier));
    const sampling = children.samplingClause && this.samplingClause(only(children.samplingClause).children);
    const stop = children.stringOrName && this.stringOrName(only(children.stringOrName).children);
    const measures = (children.generateMeasure ?? []).map((measure) => this.generateMeasure(measure.children));
    return {
      kind: "generate",
      count: this.numberOrName(only(children.numberOrName).children),
      prompt,
      ...(sampling ? { sampling } : {}),
      ...(stop ? { stop } : {}),
      measures,
      range: this.from(only(children.Generate), (measures.at(-1) ?? stop ?? sampling ?? prompt).range),
    };
  }

  generateMeasure(children: Cst.GenerateMeasureCstChildren): GenerateMeasure {
    const metric = this.metricCall(only(children.metricCall).children);
    const at = children.selector && this.selector(only(children.selector).children);
    return {
      ...(children.Identifier ? { name: this.identifier(only(children.Identifier)) } : {}),
      metric,
      ...(at ? { at } : {}),
      range: this.from(only(children.Measure), (at ?? metric).range),
    };
  }

  measureStatement(children: Cst.MeasureStatementCstChildren): MeasureStatement {
    const [name, prompt] = pair(children.Identifier.map((token) => this.identifier(token)));
    const at = children.selector && this.selector(only(children.selector).children);
    return {
      kind: "measure",
      name,
      metric: this.metricCall(only(children.metricCall).children),
      prompt,
      ...(at ? { at } : {}),
      range: this.from(only(children.Measure), (at ?? prompt).range),
    };
  }

  metricCall(children: Cst.MetricCallCstChildren): MetricCall {
    const name = this.identifier(only(children.Identifier));
    const args = (children.metricArgument ?? []).map((argument) => this.metricArgument(argument.children));
    // A ')' that recovery inserted has no position: the call then ends with its last argument.
    const closing = present(children.RightParenthesis);
    const range = this.from(only(children.Identifier), closing ? tokenRange(closing, this.lines) : args.at(-1)?.range);
    return { name, args, text: this.lines.textOf(range), range };
  }

  metricArgument(children: Cst.MetricArgumentCstChildren): MetricArgument {
    if (children.metricCall) {
      const call = this.metricCall(only(children.metricCall).children);
      return { kind: "call", call, range: call.range };
    }
    if (children.Equals) {
      const [key, value] = pair(children.Identifier!.map((token) => this.identifier(token)));
      return { kind: "keyword", key, value, range: between(key.range, value.range) };
    }
    if (children.Identifier) {
      const name = this.identifier(only(children.Identifier));
      return { kind: "name", name, range: name.range };
    }
    if (children.StringLiteral) {
      const text = this.stringLiteral(only(children.StringLiteral));
      return { kind: "text", text, range: text.range };
    }
    if (children.TokenId) {
      const token = only(children.TokenId);
      return { kind: "tokenId", id: Number(token.image.slice("#".length)), range: tokenRange(token, this.lines) };
    }
    const number = this.signedNumber(only(children.signedNumber).children);
    return { kind: "number", number, range: number.range };
  }

  samplingClause(children: Cst.SamplingClauseCstChildren): SamplingClause {
    const options = (children.samplingOption ?? []).map((option) => this.samplingOption(option.children));
    return { options, range: this.from(only(children.Sample), options.at(-1)?.range) };
  }

  samplingOption(children: Cst.SamplingOptionCstChildren): SamplingOption {
    const key = this.identifier(only(children.Identifier));
    const value = this.numberOrName(only(children.numberOrName).children);
    return { key, value, range: between(key.range, value.range) };
  }

  site(children: Cst.SiteCstChildren): SiteReference {
    const name = this.identifier(only(children.Identifier));
    return { name, ...this.selectorsAfter(name, children.selectors) };
  }

  patchSide(children: Cst.PatchSideCstChildren): PatchSide {
    const prompt = this.identifier(only(children.Identifier));
    return { prompt, ...this.selectorsAfter(prompt, children.selectors) };
  }

  captureSource(children: Cst.CaptureSourceCstChildren): CaptureSource {
    if (children.StringLiteral) {
      const text = this.stringLiteral(only(children.StringLiteral));
      return { kind: "text", text, range: text.range };
    }
    const prompt = this.identifier(only(children.Identifier));
    return { kind: "prompt", prompt, range: prompt.range };
  }

  selectors(children: Cst.SelectorsCstChildren): SelectorList {
    const selectors = children.selector.map((selector) => this.selector(selector.children));
    // A ']' that recovery inserted has no position: the list then ends with its last selector.
    const closing = present(children.RightBracket);
    const end = closing ? tokenRange(closing, this.lines) : selectors.at(-1)?.range;
    return { selectors, range: this.from(only(children.LeftBracket), end) };
  }

  selector(children: Cst.SelectorCstChildren): Selector {
    const key = this.identifier(only(children.Identifier));
    const value = this.selectorValue(only(children.selectorValue).children);
    return { key, value, range: between(key.range, value.range) };
  }

  selectorValue(children: Cst.SelectorValueCstChildren): SelectorValue {
    if (children.StringLiteral) {
      const text = this.stringLiteral(only(children.StringLiteral));
      return { kind: "text", text, range: text.range };
    }
    if (children.numberOrName) {
      const from = this.numberOrName(only(children.numberOrName).children);
      const end = children.numberOrName[1];
      const to = end && this.numberOrName(end.children);
      if (to !== undefined) return { kind: "span", from, to, range: between(from.range, to.range) };
      if (isName(from)) return { kind: "param", name: from, range: from.range };
      return { kind: "number", number: from, range: from.range };
    }
    const word = only(children.Star ?? children.Prompt ?? children.New);
    const kind = children.Star ? "all" : children.Prompt ? "prompt" : "new";
    return { kind, range: tokenRange(word, this.lines) };
  }

  numberOrName(children: Cst.NumberOrNameCstChildren): NumberOrName {
    if (children.Identifier) return this.identifier(only(children.Identifier));
    return this.signedNumber(only(children.signedNumber).children);
  }

  stringOrName(children: Cst.StringOrNameCstChildren): StringOrName {
    if (children.Identifier) return this.identifier(only(children.Identifier));
    return this.stringLiteral(only(children.StringLiteral));
  }

  signedNumber(children: Cst.SignedNumberCstChildren): NumberLiteral {
    const number = this.numberLiteral(only(children.Numeral));
    const minus = children.Minus && only(children.Minus);
    if (!minus) return number;
    return { value: -number.value, text: `-${number.text}`, range: this.from(minus, number.range) };
  }

  expression(children: Cst.ExpressionCstChildren): Expression {
    const terms = children.term.map((term) => this.term(term.children));
    return this.leftAssociative(terms, children.AdditiveOperator ?? []);
  }

  term(children: Cst.TermCstChildren): Expression {
    const factors = (children.factor ?? []).map((factor) => this.factor(factor.children));
    return this.leftAssociative(factors, children.MultiplicativeOperator ?? []);
  }

  factor(children: Cst.FactorCstChildren): Expression {
    if (children.reference) return this.reference(only(children.reference).children);
    if (children.expression) {
      // Parentheses only group, so the AST has no node for them; the expression's range takes them in. A ')' that
      // recovery inserted has no position: the range then ends with the expression.
      const inner = this.expression(only(children.expression).children);
      const closing = present(children.RightParenthesis);
      const end = closing ? tokenRange(closing, this.lines) : inner.range;
      return { ...inner, range: this.from(only(children.LeftParenthesis), end) };
    }
    if (children.factor) {
      const operand = this.factor(only(children.factor).children);
      return { kind: "negate", operand, range: this.from(only(children.Minus), operand.range) };
    }
    const number = this.numberLiteral(only(children.Numeral));
    return { kind: "number", number, range: number.range };
  }

  reference(children: Cst.ReferenceCstChildren): Expression {
    const name = this.identifier(only(children.Identifier));
    if (!children.captureSource) return { kind: "capture", name, range: name.range };
    const site: SiteReference = { name, ...this.selectorsAfter(name, children.selectors) };
    const source = this.captureSource(only(children.captureSource).children);
    return { kind: "activation", site, source, range: between(name.range, source.range) };
  }

  comment(token: IToken): Comment {
    return { text: token.image.slice("#".length), range: tokenRange(token, this.lines) };
  }

  /** The selectors in brackets after `name`, if any, and the range of the name with them. */
  private selectorsAfter(
    name: Identifier,
    brackets: Cst.SelectorsCstNode[] | undefined,
  ): { selectors: Selector[]; range: SourceRange } {
    const list = brackets && this.selectors(only(brackets).children);
    return { selectors: list?.selectors ?? [], range: between(name.range, (list ?? name).range) };
  }

  /** Operands joined by operators of one precedence level, grouped from the left: a - b - c is (a - b) - c. */
  private leftAssociative(operands: Expression[], operators: IToken[]): Expression {
    const [first, ...rest] = [only(operands), ...operands.slice(1)];
    return rest.reduce<Expression>(
      (left, right, i) => ({
        kind: "binary",
        operator: BINARY_OPERATORS.get(operators[i]!.tokenType)!,
        left,
        right,
        range: between(left.range, right.range),
      }),
      first,
    );
  }

  private identifier(token: IToken): Identifier {
    return { name: token.image, range: tokenRange(token, this.lines) };
  }

  private numberLiteral(token: IToken): NumberLiteral {
    return { value: Number(token.image), text: token.image, range: tokenRange(token, this.lines) };
  }

  private stringLiteral(token: IToken): StringLiteral {
    const range = tokenRange(token, this.lines);
    const isClosed = token.tokenType === ClosedString;
    if (!isClosed) this.diagnostics.push(createDiagnostic("unterminatedString", range, {}));
    const contentOffset = token.startOffset + '"'.length;
    const content = token.image.slice('"'.length, isClosed ? -'"'.length : undefined);
    const { value, problems } = decodeEscapes(content);
    for (const problem of problems) {
      const problemRange = this.lines.rangeAt(contentOffset + problem.start, contentOffset + problem.end);
      this.diagnostics.push(createDiagnostic(problem.name, problemRange, { escape: `'${problem.text}'` }));
    }
    return { value, range };
  }

  private span(first: IToken, last: IToken): SourceRange {
    return between(tokenRange(first, this.lines), tokenRange(last, this.lines));
  }

  /** From `first` to the end of `last`, or just `first` when nothing follows it. */
  private from(first: IToken, last: SourceRange | undefined): SourceRange {
    const start = tokenRange(first, this.lines);
    return last ? between(start, last) : start;
  }
}

function between(first: SourceRange, last: SourceRange): SourceRange {
  return { start: first.start, end: last.end };
}

/** The token or node a complete node has in this place. */
function only<T>(elements: readonly T[] | undefined): T {
  const element = elements?.[0];
  if (element === undefined) throw new Error("internal error: a complete CST node lacks a part");
  return element;
}

/** The two elements a complete node has in this place (the ends of a range, the sides of a patch). */
function pair<T>(elements: readonly T[]): [T, T] {
  const [first, second] = elements;
  if (first === undefined || second === undefined) throw new Error("internal error: a complete CST node lacks a part");
  return [first, second];
}

/** The token, unless recovery only inserted a placeholder for it. */
function present(tokens: IToken[] | undefined): IToken | undefined {
  const token = tokens?.[0];
  return token && !token.isInsertedInRecovery ? token : undefined;
}

// ---------------------------------------------------------------------------------------------
// String escapes

type EscapeProblemName = Extract<DiagnosticName, "unknownEscape" | "malformedUnicodeEscape" | "invalidCodePoint">;

export interface EscapeProblem {
  name: EscapeProblemName;
  /** Offsets into the string's content (after the opening quote): `start` is the backslash, `end` exclusive. */
  start: number;
  end: number;
  /** The escape as written, for the message. */
  text: string;
}

const SIMPLE_ESCAPES = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["n", "\n"],
  ["t", "\t"],
]);

/** `\u`, then optionally `{`, hex digits and `}`; what is missing shows which form of mistake it is. */
const UNICODE_ESCAPE = /\\u(?:\{([0-9A-Fa-f]*)(\}?))?/y;
const MAX_UNICODE_ESCAPE_DIGITS = 6;

/**
 * Resolves the escapes in a string's content. A bad escape contributes nothing to the value and is reported as a
 * problem, so that one string can report several at once.
 */
export function decodeEscapes(content: string): { value: string; problems: EscapeProblem[] } {
  let value = "";
  const problems: EscapeProblem[] = [];
  let index = 0;
  while (index < content.length) {
    const backslash = content.indexOf("\\", index);
    if (backslash === -1) {
      value += content.slice(index);
      break;
    }
    value += content.slice(index, backslash);
    const escape = decodeEscapeAt(content, backslash);
    if ("problem" in escape) problems.push(escape.problem);
    else value += escape.value;
    index = escape.end;
  }
  return { value, problems };
}

type DecodedEscape = { value: string; end: number } | { problem: EscapeProblem; end: number };

function decodeEscapeAt(content: string, backslash: number): DecodedEscape {
  const escaped = content.codePointAt(backslash + 1);
  // A backslash at the very end only occurs in an unterminated string, which is reported already.
  if (escaped === undefined) return { value: "", end: backslash + 1 };
  const escapedCharacter = String.fromCodePoint(escaped);
  const simple = SIMPLE_ESCAPES.get(escapedCharacter);
  if (simple !== undefined) return { value: simple, end: backslash + 2 };
  if (escapedCharacter !== "u") {
    return problemAt("unknownEscape", content, backslash, backslash + 1 + escapedCharacter.length);
  }

  UNICODE_ESCAPE.lastIndex = backslash;
  const [written, hexDigits, closingBrace] = UNICODE_ESCAPE.exec(content)!;
  const end = backslash + written.length;
  const isWellFormed =
    hexDigits !== undefined &&
    hexDigits.length >= 1 &&
    hexDigits.length <= MAX_UNICODE_ESCAPE_DIGITS &&
    closingBrace === "}";
  if (!isWellFormed) return problemAt("malformedUnicodeEscape", content, backslash, end);
  const codePoint = Number.parseInt(hexDigits, 16);
  const isScalarValue = codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
  if (!isScalarValue) return problemAt("invalidCodePoint", content, backslash, end);
  return { value: String.fromCodePoint(codePoint), end };
}

function problemAt(name: EscapeProblemName, content: string, start: number, end: number): DecodedEscape {
  return { problem: { name, start, end, text: content.slice(start, end) }, end };
}
