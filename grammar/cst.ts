// Generated from the grammar in parser.ts by scripts/generate-cst-types.ts (`npm run generate-cst-types`); do
// not edit. A child the grammar requires is typed as present: it is in every node that recovery left whole
// (cst-queries.ts `isComplete`), which is all the AST builder visits.

import type { CstNode, ICstVisitor, IToken } from "chevrotain";

export interface ProgramCstNode extends CstNode {
  name: "program";
  children: ProgramCstChildren;
}

export type ProgramCstChildren = {
  statement?: StatementCstNode[];
  Separator?: IToken[];
};

export interface StatementCstNode extends CstNode {
  name: "statement";
  children: StatementCstChildren;
}

export type StatementCstChildren = {
  modelStatement?: ModelStatementCstNode[];
  promptStatement?: PromptStatementCstNode[];
  paramStatement?: ParamStatementCstNode[];
  sweepStatement?: SweepStatementCstNode[];
  letStatement?: LetStatementCstNode[];
  patchStatement?: PatchStatementCstNode[];
  addStatement?: AddStatementCstNode[];
  setStatement?: SetStatementCstNode[];
  scaleStatement?: ScaleStatementCstNode[];
  zeroStatement?: ZeroStatementCstNode[];
  meanStatement?: MeanStatementCstNode[];
  generateStatement?: GenerateStatementCstNode[];
  measureStatement?: MeasureStatementCstNode[];
};

export interface ModelStatementCstNode extends CstNode {
  name: "modelStatement";
  children: ModelStatementCstChildren;
}

export type ModelStatementCstChildren = {
  Model: IToken[];
  StringLiteral: IToken[];
};

export interface PromptStatementCstNode extends CstNode {
  name: "promptStatement";
  children: PromptStatementCstChildren;
}

export type PromptStatementCstChildren = {
  Prompt: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  stringOrName: StringOrNameCstNode[];
};

export interface ParamStatementCstNode extends CstNode {
  name: "paramStatement";
  children: ParamStatementCstChildren;
}

export type ParamStatementCstChildren = {
  Param: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  literal: LiteralCstNode[];
};

export interface SweepStatementCstNode extends CstNode {
  name: "sweepStatement";
  children: SweepStatementCstChildren;
}

export type SweepStatementCstChildren = {
  Sweep: IToken[];
  Identifier: IToken[];
  In: IToken[];
  sweepRange?: SweepRangeCstNode[];
  sweepList?: SweepListCstNode[];
};

export interface SweepRangeCstNode extends CstNode {
  name: "sweepRange";
  children: SweepRangeCstChildren;
}

export type SweepRangeCstChildren = {
  signedNumber: SignedNumberCstNode[];
  DotDot: IToken[];
};

export interface SweepListCstNode extends CstNode {
  name: "sweepList";
  children: SweepListCstChildren;
}

export type SweepListCstChildren = {
  LeftBracket: IToken[];
  literal?: LiteralCstNode[];
  Comma?: IToken[];
  RightBracket: IToken[];
};

export interface LiteralCstNode extends CstNode {
  name: "literal";
  children: LiteralCstChildren;
}

export type LiteralCstChildren = {
  signedNumber?: SignedNumberCstNode[];
  StringLiteral?: IToken[];
};

export interface LetStatementCstNode extends CstNode {
  name: "letStatement";
  children: LetStatementCstChildren;
}

export type LetStatementCstChildren = {
  Export?: IToken[];
  Let: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  site: SiteCstNode[];
  Of: IToken[];
  captureSource: CaptureSourceCstNode[];
};

export interface PatchStatementCstNode extends CstNode {
  name: "patchStatement";
  children: PatchStatementCstChildren;
}

export type PatchStatementCstChildren = {
  Patch: IToken[];
  site: SiteCstNode[];
  From: IToken[];
  patchSide: PatchSideCstNode[];
  Into: IToken[];
};

export interface AddStatementCstNode extends CstNode {
  name: "addStatement";
  children: AddStatementCstChildren;
}

export type AddStatementCstChildren = {
  Add: IToken[];
  expression: ExpressionCstNode[];
  To: IToken[];
  site: SiteCstNode[];
  In: IToken[];
  Identifier: IToken[];
};

export interface SetStatementCstNode extends CstNode {
  name: "setStatement";
  children: SetStatementCstChildren;
}

export type SetStatementCstChildren = {
  Set: IToken[];
  site: SiteCstNode[];
  In: IToken[];
  Identifier: IToken[];
  To: IToken[];
  expression: ExpressionCstNode[];
};

export interface ScaleStatementCstNode extends CstNode {
  name: "scaleStatement";
  children: ScaleStatementCstChildren;
}

export type ScaleStatementCstChildren = {
  Scale: IToken[];
  site: SiteCstNode[];
  In: IToken[];
  Identifier: IToken[];
  By: IToken[];
  expression: ExpressionCstNode[];
};

export interface ZeroStatementCstNode extends CstNode {
  name: "zeroStatement";
  children: ZeroStatementCstChildren;
}

export type ZeroStatementCstChildren = {
  Zero: IToken[];
  site: SiteCstNode[];
  In: IToken[];
  Identifier: IToken[];
};

export interface MeanStatementCstNode extends CstNode {
  name: "meanStatement";
  children: MeanStatementCstChildren;
}

export type MeanStatementCstChildren = {
  Mean: IToken[];
  site: SiteCstNode[];
  In: IToken[];
  Identifier: IToken[];
  Over: IToken[];
  Comma?: IToken[];
};

export interface GenerateStatementCstNode extends CstNode {
  name: "generateStatement";
  children: GenerateStatementCstChildren;
}

export type GenerateStatementCstChildren = {
  Generate: IToken[];
  numberOrName: NumberOrNameCstNode[];
  From: IToken[];
  Identifier: IToken[];
  samplingClause?: SamplingClauseCstNode[];
  Stop?: IToken[];
  stringOrName?: StringOrNameCstNode[];
  generateMeasure?: GenerateMeasureCstNode[];
};

export interface GenerateMeasureCstNode extends CstNode {
  name: "generateMeasure";
  children: GenerateMeasureCstChildren;
}

export type GenerateMeasureCstChildren = {
  Measure: IToken[];
  Identifier?: IToken[];
  Equals?: IToken[];
  metricCall: MetricCallCstNode[];
  At?: IToken[];
  selector?: SelectorCstNode[];
};

export interface MeasureStatementCstNode extends CstNode {
  name: "measureStatement";
  children: MeasureStatementCstChildren;
}

export type MeasureStatementCstChildren = {
  Measure: IToken[];
  Identifier: IToken[];
  Equals: IToken[];
  metricCall: MetricCallCstNode[];
  Of: IToken[];
  At?: IToken[];
  selector?: SelectorCstNode[];
};

export interface MetricCallCstNode extends CstNode {
  name: "metricCall";
  children: MetricCallCstChildren;
}

export type MetricCallCstChildren = {
  Identifier: IToken[];
  LeftParenthesis: IToken[];
  metricArgument?: MetricArgumentCstNode[];
  Comma?: IToken[];
  RightParenthesis: IToken[];
};

export interface MetricArgumentCstNode extends CstNode {
  name: "metricArgument";
  children: MetricArgumentCstChildren;
}

export type MetricArgumentCstChildren = {
  metricCall?: MetricCallCstNode[];
  Identifier?: IToken[];
  Equals?: IToken[];
  StringLiteral?: IToken[];
  TokenId?: IToken[];
  signedNumber?: SignedNumberCstNode[];
};

export interface SamplingClauseCstNode extends CstNode {
  name: "samplingClause";
  children: SamplingClauseCstChildren;
}

export type SamplingClauseCstChildren = {
  Sample: IToken[];
  samplingOption?: SamplingOptionCstNode[];
};

export interface SamplingOptionCstNode extends CstNode {
  name: "samplingOption";
  children: SamplingOptionCstChildren;
}

export type SamplingOptionCstChildren = {
  Identifier: IToken[];
  Equals: IToken[];
  numberOrName: NumberOrNameCstNode[];
};

export interface SiteCstNode extends CstNode {
  name: "site";
  children: SiteCstChildren;
}

export type SiteCstChildren = {
  Identifier: IToken[];
  selectors?: SelectorsCstNode[];
};

export interface PatchSideCstNode extends CstNode {
  name: "patchSide";
  children: PatchSideCstChildren;
}

export type PatchSideCstChildren = {
  Identifier: IToken[];
  selectors?: SelectorsCstNode[];
};

export interface CaptureSourceCstNode extends CstNode {
  name: "captureSource";
  children: CaptureSourceCstChildren;
}

export type CaptureSourceCstChildren = {
  Identifier?: IToken[];
  StringLiteral?: IToken[];
};

export interface SelectorsCstNode extends CstNode {
  name: "selectors";
  children: SelectorsCstChildren;
}

export type SelectorsCstChildren = {
  LeftBracket: IToken[];
  selector: SelectorCstNode[];
  Comma?: IToken[];
  RightBracket: IToken[];
};

export interface SelectorCstNode extends CstNode {
  name: "selector";
  children: SelectorCstChildren;
}

export type SelectorCstChildren = {
  Identifier: IToken[];
  Equals: IToken[];
  selectorValue: SelectorValueCstNode[];
};

export interface SelectorValueCstNode extends CstNode {
  name: "selectorValue";
  children: SelectorValueCstChildren;
}

export type SelectorValueCstChildren = {
  Star?: IToken[];
  Prompt?: IToken[];
  New?: IToken[];
  StringLiteral?: IToken[];
  numberOrName?: NumberOrNameCstNode[];
  DotDot?: IToken[];
};

export interface NumberOrNameCstNode extends CstNode {
  name: "numberOrName";
  children: NumberOrNameCstChildren;
}

export type NumberOrNameCstChildren = {
  signedNumber?: SignedNumberCstNode[];
  Identifier?: IToken[];
};

export interface StringOrNameCstNode extends CstNode {
  name: "stringOrName";
  children: StringOrNameCstChildren;
}

export type StringOrNameCstChildren = {
  StringLiteral?: IToken[];
  Identifier?: IToken[];
};

export interface SignedNumberCstNode extends CstNode {
  name: "signedNumber";
  children: SignedNumberCstChildren;
}

export type SignedNumberCstChildren = {
  Minus?: IToken[];
  Numeral: IToken[];
};

export interface ExpressionCstNode extends CstNode {
  name: "expression";
  children: ExpressionCstChildren;
}

export type ExpressionCstChildren = {
  term: TermCstNode[];
  AdditiveOperator?: IToken[];
};

export interface TermCstNode extends CstNode {
  name: "term";
  children: TermCstChildren;
}

export type TermCstChildren = {
  factor: FactorCstNode[];
  MultiplicativeOperator?: IToken[];
};

export interface FactorCstNode extends CstNode {
  name: "factor";
  children: FactorCstChildren;
}

export type FactorCstChildren = {
  Minus?: IToken[];
  factor?: FactorCstNode[];
  Numeral?: IToken[];
  LeftParenthesis?: IToken[];
  expression?: ExpressionCstNode[];
  RightParenthesis?: IToken[];
  reference?: ReferenceCstNode[];
};

export interface ReferenceCstNode extends CstNode {
  name: "reference";
  children: ReferenceCstChildren;
}

export type ReferenceCstChildren = {
  Identifier: IToken[];
  selectors?: SelectorsCstNode[];
  Of?: IToken[];
  captureSource?: CaptureSourceCstNode[];
};

export interface CstVisitor<IN, OUT> extends ICstVisitor<IN, OUT> {
  program(children: ProgramCstChildren, param?: IN): OUT;
  statement(children: StatementCstChildren, param?: IN): OUT;
  modelStatement(children: ModelStatementCstChildren, param?: IN): OUT;
  promptStatement(children: PromptStatementCstChildren, param?: IN): OUT;
  paramStatement(children: ParamStatementCstChildren, param?: IN): OUT;
  sweepStatement(children: SweepStatementCstChildren, param?: IN): OUT;
  sweepRange(children: SweepRangeCstChildren, param?: IN): OUT;
  sweepList(children: SweepListCstChildren, param?: IN): OUT;
  literal(children: LiteralCstChildren, param?: IN): OUT;
  letStatement(children: LetStatementCstChildren, param?: IN): OUT;
  patchStatement(children: PatchStatementCstChildren, param?: IN): OUT;
  addStatement(children: AddStatementCstChildren, param?: IN): OUT;
  setStatement(children: SetStatementCstChildren, param?: IN): OUT;
  scaleStatement(children: ScaleStatementCstChildren, param?: IN): OUT;
  zeroStatement(children: ZeroStatementCstChildren, param?: IN): OUT;
  meanStatement(children: MeanStatementCstChildren, param?: IN): OUT;
  generateStatement(children: GenerateStatementCstChildren, param?: IN): OUT;
  generateMeasure(children: GenerateMeasureCstChildren, param?: IN): OUT;
  measureStatement(children: MeasureStatementCstChildren, param?: IN): OUT;
  metricCall(children: MetricCallCstChildren, param?: IN): OUT;
  metricArgument(children: MetricArgumentCstChildren, param?: IN): OUT;
  samplingClause(children: SamplingClauseCstChildren, param?: IN): OUT;
  samplingOption(children: SamplingOptionCstChildren, param?: IN): OUT;
  site(children: SiteCstChildren, param?: IN): OUT;
  patchSide(children: PatchSideCstChildren, param?: IN): OUT;
  captureSource(children: CaptureSourceCstChildren, param?: IN): OUT;
  selectors(children: SelectorsCstChildren, param?: IN): OUT;
  selector(children: SelectorCstChildren, param?: IN): OUT;
  selectorValue(children: SelectorValueCstChildren, param?: IN): OUT;
  numberOrName(children: NumberOrNameCstChildren, param?: IN): OUT;
  stringOrName(children: StringOrNameCstChildren, param?: IN): OUT;
  signedNumber(children: SignedNumberCstChildren, param?: IN): OUT;
  expression(children: ExpressionCstChildren, param?: IN): OUT;
  term(children: TermCstChildren, param?: IN): OUT;
  factor(children: FactorCstChildren, param?: IN): OUT;
  reference(children: ReferenceCstChildren, param?: IN): OUT;
}
