// The grammar, as a pure Chevrotain CstParser: no embedded actions, so the same CST serves the AST builder,
// a formatter and editor tooling. Error recovery is on. Statements sit between separators, so a statement's
// follow set is just "separator or end of file": recovery from an error inside a statement then skips to the end
// of that statement instead of stopping early at a keyword that merely looks like the start of the next one.

import { CstParser, type CstNode, type IToken, type TokenType } from "chevrotain";
import {
  allTokens,
  Equals,
  From,
  Generate,
  Identifier,
  Integer,
  Model,
  Prompt,
  punctuation,
  Separator,
  StringLiteral,
} from "./lexer.js";
import { expectationRecorder } from "./syntax-errors.js";

class PtchParser extends CstParser {
  constructor() {
    super(allTokens, { recoveryEnabled: true, errorMessageProvider: expectationRecorder });
    this.performSelfAnalysis();
  }

  /**
   * Recovery may pretend a missing '=' was there, but not a missing keyword, name, number or string: an
   * identifier where `from` belongs is far more often a misspelt `from` than a name after a forgotten one.
   */
  protected override canTokenTypeBeInsertedInRecovery(tokenType: TokenType): boolean {
    return punctuation.has(tokenType);
  }

  // program := statement? (Separator statement?)*
  readonly program = this.RULE("program", () => {
    this.OPTION(() => this.SUBRULE(this.statement));
    this.MANY(() => {
      this.CONSUME(Separator);
      this.OPTION2(() => this.SUBRULE2(this.statement));
    });
  });

  // statement := modelStatement | promptStatement | generateStatement
  readonly statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.modelStatement) },
      { ALT: () => this.SUBRULE(this.promptStatement) },
      { ALT: () => this.SUBRULE(this.generateStatement) },
    ]);
  });

  // modelStatement := 'model' StringLiteral
  readonly modelStatement = this.RULE("modelStatement", () => {
    this.CONSUME(Model);
    this.CONSUME(StringLiteral);
  });

  // promptStatement := 'prompt' Identifier '=' StringLiteral
  readonly promptStatement = this.RULE("promptStatement", () => {
    this.CONSUME(Prompt);
    this.CONSUME(Identifier);
    this.CONSUME(Equals);
    this.CONSUME(StringLiteral);
  });

  // generateStatement := 'generate' Integer 'from' Identifier
  readonly generateStatement = this.RULE("generateStatement", () => {
    this.CONSUME(Generate);
    this.CONSUME(Integer);
    this.CONSUME(From);
    this.CONSUME(Identifier);
  });
}

/** One shared instance: building a Chevrotain parser analyses the grammar, which is too slow to repeat per parse. */
export const parser = new PtchParser();

// ---------------------------------------------------------------------------------------------
// CST shapes. Children are keyed by the consumed token type or sub-rule name; a key is absent when the parser
// recovered before reaching it, and a token may be a placeholder inserted by recovery (`isInsertedInRecovery`).

export interface ProgramCst extends CstNode {
  name: "program";
  children: { Separator?: IToken[]; statement?: StatementCst[] };
}

export interface StatementCst extends CstNode {
  name: "statement";
  children: {
    modelStatement?: ModelStatementCst[];
    promptStatement?: PromptStatementCst[];
    generateStatement?: GenerateStatementCst[];
  };
}

export interface ModelStatementCst extends CstNode {
  name: "modelStatement";
  children: { Model?: IToken[]; StringLiteral?: IToken[] };
}

export interface PromptStatementCst extends CstNode {
  name: "promptStatement";
  children: { Prompt?: IToken[]; Identifier?: IToken[]; Equals?: IToken[]; StringLiteral?: IToken[] };
}

export interface GenerateStatementCst extends CstNode {
  name: "generateStatement";
  children: { Generate?: IToken[]; Integer?: IToken[]; From?: IToken[]; Identifier?: IToken[] };
}
