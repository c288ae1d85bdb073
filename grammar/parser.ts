// The grammar, as a pure Chevrotain CstParser: no embedded actions, so the same CST serves the AST builder,
// a formatter and editor tooling. Error recovery is on. Statements sit between separators, so a statement's
// follow set is just "separator or end of file": recovery from an error inside a statement then skips to the end
// of that statement instead of stopping early at a keyword that merely looks like the start of the next one.
// Inside a statement, recovery may also resume at one of its own keywords ('to', 'in', 'of'); what it reads from
// there is often misread, so `parse` reports only the first error of a statement that recovery could not complete.

import { CstParser, EOF, tokenMatcher, type IToken, type TokenType } from "chevrotain";
import {
  Add,
  AdditiveOperator,
  allTokens,
  By,
  Comma,
  DotDot,
  Equals,
  Export,
  From,
  Generate,
  Identifier,
  In,
  Into,
  LeftBracket,
  LeftParenthesis,
  Let,
  Mean,
  Minus,
  Model,
  MultiplicativeOperator,
  New,
  Numeral,
  Of,
  Over,
  Param,
  Patch,
  Prompt,
  punctuation,
  RightBracket,
  RightParenthesis,
  Sample,
  Scale,
  Separator,
  SetKeyword,
  Star,
  Stop,
  StringLiteral,
  Sweep,
  To,
  TokenId,
  Zero,
  Measure,
  At,
} from "./lexer.js";
import { expectationRecorder } from "./syntax-errors.js";

/** The tokens error recovery may skip as stray: values, not structure. */
const strayTokenTypes = [Identifier, Numeral, StringLiteral];

/** The malformed items one list recovers from before the rest of its statement is skipped. */
export const MAX_LIST_RECOVERIES = 64;

/** The recovery methods every Chevrotain parser has at run time, though its typings leave them out. */
interface RepetitionRecovery {
  tryInRepetitionRecovery(...args: unknown[]): void;
  shouldInRepetitionRecoveryBeTried(...args: unknown[]): boolean;
  flattenFollowSet(): TokenType[];
}

function sameTokenTypes(left: readonly TokenType[], right: readonly TokenType[]): boolean {
  return left.length === right.length && left.every((type, index) => type === right[index]);
}

class PtchParser extends CstParser {
  constructor() {
    super(allTokens, { recoveryEnabled: true, errorMessageProvider: expectationRecorder });
    this.performSelfAnalysis();
  }

  /**
   * Recovery may pretend a missing '=', ']' or ')' was there, but not a missing keyword, name, number or string: an
   * identifier where `from` belongs is far more often a misspelt `from` than a name after a forgotten one.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokenType: TokenType): boolean {
    return punctuation.has(tokenType);
  }

  /**
   * Recovery may skip one stray name, number or string before the expected token, but not a keyword or punctuation:
   * they give a statement its shape, and one standing where a name belongs mostly follows a forgotten name
   * (`let = x`, `patch from a`); skipping it would misread what comes next as that name.
   */
  protected override canTokenTypeBeDeletedInRecovery(): boolean {
    const stray = this.LA(1);
    return strayTokenTypes.some((tokenType) => tokenMatcher(stray, tokenType));
  }

  /** How many in-list recoveries are nested now (see `shouldInRepetitionRecoveryBeTried`). */
  private repetitionRecoveries = 0;

  /**
   * Chevrotain resumes a list after a malformed item by calling the list's loop again from inside its recovery, so
   * every malformed item nests one level deeper, and each first scans ahead to the end of the statement: a list of
   * n malformed items costs n² and, past some thousands, the stack. Past MAX_LIST_RECOVERIES of them the list ends
   * there and the statement recovers as a whole (one diagnostic, the first): linear and shallow at any length.
   * These methods and `findReSyncTokenType` are Chevrotain 11's recovery internals (not in its typings): the
   * version is pinned, and test/grammar/syntax-errors.test.ts fails if the cap stops being applied.
   */
  protected tryInRepetitionRecovery(...args: unknown[]): void {
    this.repetitionRecoveries++;
    try {
      (CstParser.prototype as unknown as RepetitionRecovery).tryInRepetitionRecovery.apply(this, args);
    } finally {
      this.repetitionRecoveries--;
    }
  }

  protected shouldInRepetitionRecoveryBeTried(...args: unknown[]): boolean {
    if (this.repetitionRecoveries >= MAX_LIST_RECOVERIES) return false;
    return (CstParser.prototype as unknown as RepetitionRecovery).shouldInRepetitionRecoveryBeTried.apply(this, args);
  }

  /** The last answer of `findReSyncTokenType`: the follow set it was for, and the token that matched it. */
  private lastReSync: { follow: TokenType[]; token: IToken; type: TokenType } | undefined;

  /**
   * Every in-list recovery first finds the next token it could re-synchronise at, scanning ahead (Chevrotain does
   * so one lodash call per token). The recoveries in one list all ask for the same follow set from ever later
   * tokens, so the answer holds until the parser passes the token that gave it.
   */
  protected findReSyncTokenType(): TokenType {
    const follow = (this as unknown as RepetitionRecovery).flattenFollowSet();
    const next = this.LA(1);
    const last = this.lastReSync;
    if (
      last !== undefined &&
      sameTokenTypes(last.follow, follow) &&
      (tokenMatcher(last.token, EOF) || next.startOffset <= last.token.startOffset)
    ) {
      return last.type;
    }
    // Ends at the end of the input at the latest: EOF is in every follow set, and LA past the end is EOF.
    for (let ahead = 1; ; ahead++) {
      const token = this.LA(ahead);
      const type = follow.find((candidate) => tokenMatcher(token, candidate));
      if (type !== undefined) {
        this.lastReSync = { follow, token, type };
        return type;
      }
    }
  }

  override reset(): void {
    super.reset();
    this.lastReSync = undefined;
  }

  // program := statement? (Separator statement?)*
  readonly program = this.RULE("program", () => {
    this.OPTION(() => this.SUBRULE(this.statement));
    this.MANY(() => {
      this.CONSUME(Separator);
      this.OPTION2(() => this.SUBRULE2(this.statement));
    });
  });

  // statement := modelStatement | promptStatement | paramStatement | sweepStatement | letStatement | patchStatement
  //            | addStatement | setStatement | scaleStatement | zeroStatement | meanStatement | generateStatement
  //            | measureStatement
  readonly statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelStatement) },
      { ALT: () => this.SUBRULE(this.promptStatement) },
      { ALT: () => this.SUBRULE(this.paramStatement) },
      { ALT: () => this.SUBRULE(this.sweepStatement) },
      { ALT: () => this.SUBRULE(this.letStatement) },
      { ALT: () => this.SUBRULE(this.patchStatement) },
      { ALT: () => this.SUBRULE(this.addStatement) },
      { ALT: () => this.SUBRULE(this.setStatement) },
      { ALT: () => this.SUBRULE(this.scaleStatement) },
      { ALT: () => this.SUBRULE(this.zeroStatement) },
      { ALT: () => this.SUBRULE(this.meanStatement) },
      { ALT: () => this.SUBRULE(this.generateStatement) },
      { ALT: () => this.SUBRULE(this.measureStatement) },
    ]);
  });

  // modelStatement := 'model' StringLiteral
  readonly modelStatement = this.RULE("modelStatement", () => {
    this.CONSUME(Model);
    this.CONSUME(StringLiteral);
  });

  // promptStatement := 'prompt' Identifier '=' stringOrName
  readonly promptStatement = this.RULE("promptStatement", () => {
    this.CONSUME(Prompt);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.stringOrName);
  });

  // paramStatement := 'param' Identifier '=' literal
  readonly paramStatement = this.RULE("paramStatement", () => {
    this.CONSUME(Param);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.literal);
  });

  // sweepStatement := 'sweep' Identifier 'in' (sweepRange | sweepList)
  readonly sweepStatement = this.RULE("sweepStatement", () => {
    this.CONSUME(Sweep);
    this.CONSUME(Identifier);
    this.CONSUME(In);
    this.OR([{ ALT: () => this.SUBRULE(this.sweepRange) }, { ALT: () => this.SUBRULE(this.sweepList) }]);
  });

  // sweepRange := signedNumber '..' signedNumber
  // Decimals parse, so that the check can say that the ends must be integers.
  readonly sweepRange = this.RULE("sweepRange", () => {
    this.SUBRULE(this.signedNumber);
    this.CONSUME(DotDot);
    this.SUBRULE2(this.signedNumber);
  });

  // sweepList := '[' (literal (',' literal)*)? ']'
  // An empty list parses so that the check can say what is missing.
  readonly sweepList = this.RULE("sweepList", () => {
    this.CONSUME(LeftBracket);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.literal) });
    this.CONSUME(RightBracket);
  });

  // literal := signedNumber | StringLiteral
  readonly literal = this.RULE("literal", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.signedNumber) }, { ALT: () => this.CONSUME(StringLiteral) }]);
  });

  // letStatement := 'export'? 'let' Identifier '=' site 'of' captureSource
  readonly letStatement = this.RULE("letStatement", () => {
    this.OPTION(() => this.CONSUME(Export));
    this.CONSUME(Let);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.site);
    this.CONSUME(Of);
    this.SUBRULE(this.captureSource);
  });

  // patchStatement := 'patch' site 'from' patchSide 'into' patchSide
  readonly patchStatement = this.RULE("patchStatement", () => {
    this.CONSUME(Patch);
    this.SUBRULE(this.site);
    this.CONSUME(From);
    this.SUBRULE(this.patchSide);
    this.CONSUME(Into);
    this.SUBRULE2(this.patchSide);
  });

  // addStatement := 'add' expression 'to' site 'in' Identifier
  readonly addStatement = this.RULE("addStatement", () => {
    this.CONSUME(Add);
    this.SUBRULE(this.expression);
    this.CONSUME(To);
    this.SUBRULE(this.site);
    this.CONSUME(In);
    this.CONSUME(Identifier);
  });

  // setStatement := 'set' site 'in' Identifier 'to' expression
  readonly setStatement = this.RULE("setStatement", () => {
    this.CONSUME(SetKeyword);
    this.SUBRULE(this.site);
    this.CONSUME(In);
    this.CONSUME(Identifier);
    this.CONSUME(To);
    this.SUBRULE(this.expression);
  });

  // scaleStatement := 'scale' site 'in' Identifier 'by' expression
  readonly scaleStatement = this.RULE("scaleStatement", () => {
    this.CONSUME(Scale);
    this.SUBRULE(this.site);
    this.CONSUME(In);
    this.CONSUME(Identifier);
    this.CONSUME(By);
    this.SUBRULE(this.expression);
  });

  // zeroStatement := 'zero' site 'in' Identifier
  readonly zeroStatement = this.RULE("zeroStatement", () => {
    this.CONSUME(Zero);
    this.SUBRULE(this.site);
    this.CONSUME(In);
    this.CONSUME(Identifier);
  });

  // meanStatement := 'mean' site 'in' Identifier 'over' (Identifier (',' Identifier)*)?
  // An empty list parses so that the check can say what is missing.
  readonly meanStatement = this.RULE("meanStatement", () => {
    this.CONSUME(Mean);
    this.SUBRULE(this.site);
    this.CONSUME(In);
    this.CONSUME(Identifier);
    this.CONSUME(Over);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.CONSUME2(Identifier) });
  });

  // generateStatement := 'generate' numberOrName 'from' Identifier samplingClause? ('stop' stringOrName)?
  //                      generateMeasure*
  // Any number parses as the count, so that the check can say that it must be a positive integer.
  readonly generateStatement = this.RULE("generateStatement", () => {
    this.CONSUME(Generate);
    this.SUBRULE(this.numberOrName);
    this.CONSUME(From);
    this.CONSUME(Identifier);
    this.OPTION(() => this.SUBRULE(this.samplingClause));
    this.OPTION2(() => {
      this.CONSUME(Stop);
      this.SUBRULE(this.stringOrName);
    });
    this.MANY(() => this.SUBRULE(this.generateMeasure));
  });

  // generateMeasure := 'measure' (Identifier '=')? metricCall ('at' selector)?
  readonly generateMeasure = this.RULE("generateMeasure", () => {
    this.CONSUME(Measure);
    this.OPTION(() => {
      this.CONSUME(Identifier);
      this.CONSUME(Equals);
    });
    this.SUBRULE(this.metricCall);
    this.OPTION2(() => {
      this.CONSUME(At);
      this.SUBRULE(this.selector);
    });
  });

  // measureStatement := 'measure' Identifier '=' metricCall 'of' Identifier ('at' selector)?
  readonly measureStatement = this.RULE("measureStatement", () => {
    this.CONSUME(Measure);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.metricCall);
    this.CONSUME(Of);
    this.CONSUME2(Identifier);
    this.OPTION(() => {
      this.CONSUME(At);
      this.SUBRULE(this.selector);
    });
  });

  // metricCall := Identifier '(' (metricArgument (',' metricArgument)*)? ')'
  readonly metricCall = this.RULE("metricCall", () => {
    this.CONSUME(Identifier);
    this.CONSUME(LeftParenthesis);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.metricArgument) });
    this.CONSUME(RightParenthesis);
  });

  // metricArgument := metricCall | Identifier '=' Identifier | Identifier | StringLiteral | TokenId | signedNumber
  // Which metric takes which is a check, with a clearer message than a parse error.
  readonly metricArgument = this.RULE("metricArgument", () => {
    this.OR([
      { GATE: () => this.LA(2).tokenType === LeftParenthesis, ALT: () => this.SUBRULE(this.metricCall) },
      {
        GATE: () => this.LA(2).tokenType === Equals,
        ALT: () => {
          this.CONSUME(Identifier);
          this.CONSUME(Equals);
          this.CONSUME2(Identifier);
        },
      },
      { ALT: () => this.CONSUME3(Identifier) },
      { ALT: () => this.CONSUME(StringLiteral) },
      { ALT: () => this.CONSUME(TokenId) },
      { ALT: () => this.SUBRULE(this.signedNumber) },
    ]);
  });

  // samplingClause := 'sample' samplingOption*
  readonly samplingClause = this.RULE("samplingClause", () => {
    this.CONSUME(Sample);
    this.MANY(() => this.SUBRULE(this.samplingOption));
  });

  // samplingOption := Identifier '=' numberOrName
  readonly samplingOption = this.RULE("samplingOption", () => {
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.numberOrName);
  });

  // site := Identifier selectors?
  readonly site = this.RULE("site", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => this.SUBRULE(this.selectors));
  });

  // patchSide := Identifier selectors?
  readonly patchSide = this.RULE("patchSide", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => this.SUBRULE(this.selectors));
  });

  // captureSource := Identifier | StringLiteral
  readonly captureSource = this.RULE("captureSource", () => {
    this.OR([{ ALT: () => this.CONSUME(Identifier) }, { ALT: () => this.CONSUME(StringLiteral) }]);
  });

  // selectors := '[' selector (',' selector)* ']'
  readonly selectors = this.RULE("selectors", () => {
    this.CONSUME(LeftBracket);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.selector) });
    this.CONSUME(RightBracket);
  });

  // selector := Identifier '=' selectorValue
  readonly selector = this.RULE("selector", () => {
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.SUBRULE(this.selectorValue);
  });

  // selectorValue := '*' | 'prompt' | 'new' | StringLiteral | numberOrName ('..' numberOrName)?
  // Every key accepts every form here; which key takes which is a check, with a clearer message than a parse error.
  readonly selectorValue = this.RULE("selectorValue", () => {
    this.OR([
      { ALT: () => this.CONSUME(Star) },
      { ALT: () => this.CONSUME(Prompt) },
      { ALT: () => this.CONSUME(New) },
      { ALT: () => this.CONSUME(StringLiteral) },
      {
        ALT: () => {
          this.SUBRULE(this.numberOrName);
          this.OPTION(() => {
            this.CONSUME(DotDot);
            this.SUBRULE2(this.numberOrName);
          });
        },
      },
    ]);
  });

  // numberOrName := signedNumber | Identifier
  // Where a number may stand, so may the name of a parameter or sweep variable.
  readonly numberOrName = this.RULE("numberOrName", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.signedNumber) }, { ALT: () => this.CONSUME(Identifier) }]);
  });

  // stringOrName := StringLiteral | Identifier
  readonly stringOrName = this.RULE("stringOrName", () => {
    this.OR([{ ALT: () => this.CONSUME(StringLiteral) }, { ALT: () => this.CONSUME(Identifier) }]);
  });

  // signedNumber := '-'? Numeral
  readonly signedNumber = this.RULE("signedNumber", () => {
    this.OPTION(() => this.CONSUME(Minus));
    this.CONSUME(Numeral);
  });

  // expression := term (AdditiveOperator term)*
  readonly expression = this.RULE("expression", () => {
    this.SUBRULE(this.term);
    this.MANY(() => {
      this.CONSUME(AdditiveOperator);
      this.SUBRULE2(this.term);
    });
  });

  // term := factor (MultiplicativeOperator factor)*
  readonly term = this.RULE("term", () => {
    this.SUBRULE(this.factor);
    this.MANY(() => {
      this.CONSUME(MultiplicativeOperator);
      this.SUBRULE2(this.factor);
    });
  });

  // factor := '-' factor | Numeral | '(' expression ')' | reference
  readonly factor = this.RULE("factor", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Minus);
          this.SUBRULE(this.factor);
        },
      },
      { ALT: () => this.CONSUME(Numeral) },
      {
        ALT: () => {
          this.CONSUME(LeftParenthesis);
          this.SUBRULE(this.expression);
          this.CONSUME(RightParenthesis);
        },
      },
      { ALT: () => this.SUBRULE(this.reference) },
    ]);
  });

  // reference := Identifier (selectors? 'of' captureSource)?
  // A name alone is a capture; with `of` it reads a site inline. Selectors need the `of`: a capture has no sites.
  readonly reference = this.RULE("reference", () => {
    this.CONSUME(Identifier);
    this.OPTION(() => {
      this.OPTION2(() => this.SUBRULE(this.selectors));
      this.CONSUME(Of);
      this.SUBRULE(this.captureSource);
    });
  });
}

/** One shared instance: building a Chevrotain parser analyses the grammar, which is too slow to repeat per parse. */
export const parser = new PtchParser();
