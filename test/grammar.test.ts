import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEscapes } from "../grammar/ast-builder.js";
import { parse, parseCst } from "../grammar/index.js";
import type { Diagnostic, SourcePosition, SourceRange, Statement } from "../compiler/types.js";

/** Parses a program that must have no diagnostics and returns its statements. */
function statementsOf(source: string): Statement[] {
  const { program, diagnostics } = parse(source);
  expect(diagnostics).toEqual([]);
  return program.statements;
}

/** "line:col" of where a range starts, the way an editor shows it. */
const at = (range: SourceRange): string => `${range.start.line}:${range.start.column}`;
const span = (range: SourceRange): string => `${at(range)}-${range.end.line}:${range.end.column}`;

/** Each diagnostic as "CODE line:col". */
function problems(source: string): string[] {
  return parse(source).diagnostics.map((diagnostic) => `${diagnostic.code} ${at(diagnostic.range)}`);
}

describe("statements", () => {
  it("parses a model statement", () => {
    expect(statementsOf('model "stories260K"')).toMatchObject([{ kind: "model", ref: { value: "stories260K" } }]);
  });

  it("parses a prompt statement, including an empty prompt", () => {
    expect(statementsOf('prompt story = "Once upon a time"\nprompt empty = ""')).toMatchObject([
      { kind: "prompt", name: { name: "story" }, text: { value: "Once upon a time" } },
      { kind: "prompt", name: { name: "empty" }, text: { value: "" } },
    ]);
  });

  it("parses a generate statement and keeps the count as written", () => {
    expect(statementsOf("generate 007 from story")).toMatchObject([
      { kind: "generate", count: { value: 7, text: "007" }, prompt: { name: "story" } },
    ]);
  });

  it("parses the example program", () => {
    const source = [
      "# a comment",
      'model "stories260K"',
      'prompt story = ""',
      'prompt other = "She said \\"hi\\"\\n\\tand left \\u{1F600}"; generate 60 from story',
      "generate 60 from story",
    ].join("\n");
    const statements = statementsOf(source);
    expect(statements.map((statement) => statement.kind)).toEqual([
      "model",
      "prompt",
      "prompt",
      "generate",
      "generate",
    ]);
    expect(statements[2]).toMatchObject({ text: { value: 'She said "hi"\n\tand left 😀' } });
  });

  it("accepts names that merely start with a keyword, and underscores and digits in names", () => {
    expect(statementsOf('prompt models = ""\nprompt into_2 = ""\nprompt _x9 = ""\nprompt fromage = ""')).toMatchObject([
      { name: { name: "models" } },
      { name: { name: "into_2" } },
      { name: { name: "_x9" } },
      { name: { name: "fromage" } },
    ]);
  });

  it("returns an empty program for empty input", () => {
    const { program, diagnostics } = parse("");
    expect(diagnostics).toEqual([]);
    expect(program).toEqual({
      statements: [],
      comments: [],
      range: { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } },
    });
  });
});

describe("separators", () => {
  it.each([
    ["newlines", 'model "m"\nprompt p = ""\ngenerate 1 from p'],
    ["semicolons", 'model "m"; prompt p = ""; generate 1 from p'],
    ["blank lines and a trailing semicolon", '\n\nmodel "m";\n\n;;prompt p = ""\n\ngenerate 1 from p;\n'],
    ["CRLF line breaks", 'model "m"\r\nprompt p = ""\r\ngenerate 1 from p\r\n'],
    ["CR line breaks", 'model "m"\rprompt p = ""\rgenerate 1 from p'],
    ["tabs and spaces around tokens", '\tmodel   "m" \t\n  prompt\tp\t=\t""  \ngenerate 1 from p'],
  ])("accepts %s", (_, source) => {
    expect(statementsOf(source).map((statement) => statement.kind)).toEqual(["model", "prompt", "generate"]);
  });

  it("rejects two statements on one line without a separator", () => {
    expect(problems('model "m" prompt p = ""')).toEqual(["PTCH1003 1:11"]);
  });
});

describe("comments", () => {
  it("keeps comments, without the #, with their ranges", () => {
    const { program, diagnostics } = parse('# first\nmodel "m" # trailing; not a separator\n#');
    expect(diagnostics).toEqual([]);
    expect(program.statements).toHaveLength(1);
    expect(program.comments.map((comment) => [comment.text, span(comment.range)])).toEqual([
      [" first", "1:1-1:8"],
      [" trailing; not a separator", "2:11-2:38"],
      ["", "3:1-3:2"],
    ]);
  });

  it("does not treat # inside a string as a comment", () => {
    const { program } = parse('prompt p = "#1 # not a comment"');
    expect(program.comments).toEqual([]);
    expect(program.statements).toMatchObject([{ text: { value: "#1 # not a comment" } }]);
  });

  it("exposes comments and all tokens through parseCst for formatters", () => {
    const { tokens, comments, lexErrors, parseErrors } = parseCst('model "m" # c\n');
    expect(tokens.map((token) => token.image)).toEqual(["model", '"m"', "\n"]);
    expect(comments.map((token) => token.image)).toEqual(["# c"]);
    expect([lexErrors, parseErrors]).toEqual([[], []]);
  });
});

describe("string escapes", () => {
  it.each([
    ['\\"', '"'],
    ["\\\\", "\\"],
    ["\\n", "\n"],
    ["\\t", "\t"],
    ["\\u{41}", "A"],
    ["\\u{0}", "\0"],
    ["\\u{e9}", "é"],
    ["\\u{1F600}", "😀"],
    ["\\u{01F600}", "😀"],
    ["\\u{10FFFF}", "\u{10FFFF}"],
    ["a\\tb\\\\n\\u{42}c", "a\tb\\nBc"],
    ["unicode as is: é😀", "unicode as is: é😀"],
  ])("decodes %s", (written, value) => {
    expect(statementsOf(`model "${written}"`)).toMatchObject([{ ref: { value } }]);
  });

  it("reports each bad escape in a string, at the escape", () => {
    expect(decodeEscapes("a\\qb\\u{D800}c")).toEqual({
      value: "abc",
      problems: [
        { name: "unknownEscape", start: 1, end: 3, text: "\\q" },
        { name: "invalidCodePoint", start: 4, end: 12, text: "\\u{D800}" },
      ],
    });
  });
});

describe("source ranges", () => {
  const source = 'model "m"\n  prompt story = "a\\tb"\ngenerate 60 from story # done';
  const [model, prompt, generate] = statementsOf(source);

  it("locates statements from their keyword to their last token", () => {
    expect([model, prompt, generate].map((statement) => span(statement!.range))).toEqual([
      "1:1-1:10",
      "2:3-2:24",
      "3:1-3:23",
    ]);
  });

  it("locates names, strings (with their quotes) and numbers", () => {
    expect(prompt).toMatchObject({ kind: "prompt" });
    if (prompt?.kind !== "prompt" || generate?.kind !== "generate") throw new Error("unexpected statement kinds");
    expect(span(prompt.name.range)).toBe("2:10-2:15");
    expect(span(prompt.text.range)).toBe("2:18-2:24");
    expect(span(generate.count.range)).toBe("3:10-3:12");
    expect(span(generate.prompt.range)).toBe("3:18-3:23");
  });

  it("gives offsets that index the source", () => {
    if (prompt?.kind !== "prompt") throw new Error("expected a prompt");
    const { start, end } = prompt.name.range;
    expect(source.slice(start.offset, end.offset)).toBe("story");
  });

  it("counts a CRLF as one line break", () => {
    const [, second] = statementsOf('model "m"\r\n\r\nprompt p = ""');
    expect(at(second!.range)).toBe("3:1");
  });

  it("spans the whole file with the program", () => {
    expect(span(parse("model\n").program.range)).toBe("1:1-2:1");
  });
});

describe("reserved words", () => {
  const reserved = ["model", "prompt", "generate", "from", "patch", "into", "let", "of", "add", "to", "set", "scale"];
  const reservedForLater = ["by", "zero", "mean", "over", "in", "sample", "stop", "param", "sweep"];

  it.each([...reserved, ...reservedForLater])("rejects '%s' as a prompt name", (word) => {
    const { diagnostics } = parse(`prompt ${word} = "x"`);
    expect(diagnostics).toMatchObject([
      { code: "PTCH1004", message: `'${word}' is a reserved word and can't be used as a name` },
    ]);
    expect(at(diagnostics[0]!.range)).toBe("1:8");
  });

  it("rejects a reserved word as the prompt of a generate", () => {
    expect(problems("generate 1 from sweep")).toEqual(["PTCH1004 1:17"]);
  });
});

describe("syntax errors", () => {
  it.each([
    ["model", "PTCH1001 1:6", "expected a string after 'model', found the end of the file"],
    ["model\n", "PTCH1001 1:6", "expected a string after 'model', found the end of the line"],
    ["model stories260K", "PTCH1001 1:7", "expected a string after 'model', found 'stories260K'"],
    ['prompt = "x"', "PTCH1001 1:8", "expected a name after 'prompt', found '='"],
    ['prompt p "x"', "PTCH1001 1:10", `expected '=' after 'p', found the string "x"`],
    ["prompt p = 5", "PTCH1001 1:12", "expected a string after '=', found '5'"],
    ["generate many from p", "PTCH1001 1:10", "expected an integer after 'generate', found 'many'"],
    ["generate 5 p", "PTCH1001 1:12", "expected 'from' after '5', found 'p'"],
    ["generate 5 from", "PTCH1001 1:16", "expected a name after 'from', found the end of the file"],
    ["generate 5 from 6", "PTCH1001 1:17", "expected a name after 'from', found '6'"],
    ["story", "PTCH1002 1:1", "expected a statement (model, prompt or generate), found 'story'"],
    ['= "x"', "PTCH1002 1:1", "expected a statement (model, prompt or generate), found '='"],
    ['"stray"', "PTCH1002 1:1", 'expected a statement (model, prompt or generate), found the string "stray"'],
    ["sweep", "PTCH1002 1:1", "expected a statement (model, prompt or generate), found 'sweep'"],
    ['model "m" "n"', "PTCH1003 1:11", `expected a newline or ';' after the statement, found the string "n"`],
    ["generate 1 from p q", "PTCH1003 1:19", "expected a newline or ';' after the statement, found 'q'"],
    ['model "m" = 1\nprompt p = ""', "PTCH1003 1:11", "expected a newline or ';' after the statement, found '='"],
    ['model @"m"', "PTCH1005 1:7", "unexpected character '@'"],
    ['model "m" $$', "PTCH1005 1:11", "unexpected character '$'"],
    ['model "m"\f', "PTCH1005 1:10", "unexpected character U+000C"],
    ["generate -5 from p", "PTCH1005 1:10", "unexpected character '-'"],
    [
      'prompt p = "abc',
      "PTCH1006 1:12",
      'unterminated string: close it with " before the end of the line (write \\n for a line break)',
    ],
    ['prompt p = "ends in backslash\\', "PTCH1006 1:12", expect.stringContaining("unterminated string")],
    ['prompt p = "a\\qb"', "PTCH1007 1:14", expect.stringContaining("unknown escape '\\q' in string")],
    ['prompt p = "\\😀"', "PTCH1007 1:13", expect.stringContaining("unknown escape '\\😀'")],
    ['prompt p = "\\u0041"', "PTCH1008 1:13", expect.stringContaining("malformed unicode escape '\\u'")],
    ['prompt p = "\\u{}"', "PTCH1008 1:13", expect.stringContaining("'\\u{}'")],
    ['prompt p = "\\u{12"', "PTCH1008 1:13", expect.stringContaining("'\\u{12'")],
    ['prompt p = "\\u{1234567}"', "PTCH1008 1:13", expect.stringContaining("'\\u{1234567}'")],
    ['prompt p = "\\u{12 }"', "PTCH1008 1:13", expect.stringContaining("'\\u{12'")],
    ['prompt p = "\\u{D800}"', "PTCH1009 1:13", expect.stringContaining("'\\u{D800}' is not a Unicode scalar value")],
    ['prompt p = "\\u{dfff}"', "PTCH1009 1:13", expect.stringContaining("'\\u{dfff}'")],
    ['prompt p = "\\u{110000}"', "PTCH1009 1:13", expect.stringContaining("'\\u{110000}'")],
  ])("%j → %s", (source, expected, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map((diagnostic) => `${diagnostic.code} ${at(diagnostic.range)}`)).toEqual([expected]);
    expect(diagnostics[0]).toMatchObject({ severity: "error", message });
  });

  it("underlines the whole offending token or escape", () => {
    const [reserved] = parse('prompt sweep = "x"').diagnostics;
    const [escape] = parse('model "a\\u{D800}b"').diagnostics;
    const [unterminated] = parse('model "abc\nprompt p = ""').diagnostics;
    const [atEndOfLine] = parse("model\n").diagnostics;
    expect([reserved, escape, unterminated, atEndOfLine].map((diagnostic) => span(diagnostic!.range))).toEqual([
      "1:8-1:13",
      "1:9-1:17",
      "1:7-1:11",
      "1:6-1:6",
    ]);
  });

  it("reports every syntax error in the file in one pass", () => {
    const source = [
      "model",
      'prompt p "x"',
      "generate x from p",
      "junk",
      'model "m" "n"',
      'prompt q = "\\q\\u{}"',
    ].join("\n");
    expect(problems(source)).toEqual([
      "PTCH1001 1:6",
      "PTCH1001 2:10",
      "PTCH1001 3:10",
      "PTCH1002 4:1",
      "PTCH1003 5:11",
      "PTCH1007 6:13",
      "PTCH1008 6:15",
    ]);
  });

  it("reports one error per broken statement, not a cascade", () => {
    expect(problems('prompt model = "x" generate = 5')).toEqual(["PTCH1004 1:8"]);
    expect(problems("generate x y z from p")).toEqual(["PTCH1001 1:10"]);
  });

  it("reports a misspelt keyword once, rather than reading the next word as a name", () => {
    expect(problems("generate 60 form story")).toEqual(["PTCH1001 1:13"]);
  });

  it("assumes a missing '=' and goes on checking the rest of the statement", () => {
    expect(problems('prompt p "x" y')).toEqual(["PTCH1001 1:10", "PTCH1003 1:14"]);
  });

  it("keeps the statements around the broken ones", () => {
    const { program } = parse(
      'model "m"\nprompt = "lost"\nprompt kept = "k"\ngenerate x from kept\ngenerate 1 from kept',
    );
    expect(program.statements.map((statement) => statement.kind)).toEqual(["model", "prompt", "generate"]);
  });

  it("keeps a statement whose only problem is in its string, and one that recovery completed", () => {
    const { program } = parse('prompt p = "a\\qb\nprompt q "missing equals"');
    expect(program.statements).toMatchObject([
      { name: { name: "p" }, text: { value: "ab" } },
      { name: { name: "q" }, text: { value: "missing equals" } },
    ]);
  });

  it("continues on the next line after an unterminated string", () => {
    expect(problems('prompt p = "no end\nprompt q = "fine"')).toEqual(["PTCH1006 1:12"]);
    expect(parse('prompt p = "no end\nprompt q = "fine"').program.statements).toHaveLength(2);
  });
});

describe("robustness", () => {
  /** Where `offset` is, computed independently of the implementation. */
  function expectedPosition(source: string, offset: number): SourcePosition {
    const lines = source.slice(0, offset).split(/\r\n|\r|\n/);
    return { offset, line: lines.length, column: lines.at(-1)!.length + 1 };
  }

  function expectValidRange(source: string, range: SourceRange): void {
    expect(range.start.offset).toBeGreaterThanOrEqual(0);
    expect(range.end.offset).toBeGreaterThanOrEqual(range.start.offset);
    expect(range.end.offset).toBeLessThanOrEqual(source.length);
    expect(range.start).toEqual(expectedPosition(source, range.start.offset));
    expect(range.end).toEqual(expectedPosition(source, range.end.offset));
  }

  function expectWellFormedResult(source: string): void {
    const { program, diagnostics } = parse(source);
    for (const diagnostic of diagnostics) {
      expect(diagnostic.code).toMatch(/^PTCH1\d{3}$/);
      expect(diagnostic.message).not.toBe("");
      expectValidRange(source, diagnostic.range);
    }
    for (const statement of program.statements) expectValidRange(source, statement.range);
    expect(isSortedByPosition(diagnostics)).toBe(true);
  }

  const isSortedByPosition = (diagnostics: Diagnostic[]): boolean =>
    diagnostics.every(
      (diagnostic, i) => i === 0 || diagnostics[i - 1]!.range.start.offset <= diagnostic.range.start.offset,
    );

  const validProgram = [
    "# experiment",
    'model "stories260K"',
    'prompt story = "Once upon a time, \\"Lily\\" said\\n\\u{1F600}"',
    'prompt other = ""; generate 60 from story',
    "generate 5 from other",
  ].join("\n");

  /** Characters that matter to the lexer, so mutations hit interesting cases more often than random text would. */
  const interestingCharacter = fc.constantFrom(...'"\\#;=\n\r\t {}u0123456789xD8FFabmodelprtgn_@😀\u2028');

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (source) => expectWellFormedResult(source)),
      { numRuns: 300 },
    );
  });

  it("never throws on mutations of a valid program", () => {
    const mutation = fc.tuple(
      fc.nat({ max: validProgram.length }),
      fc.nat({ max: 3 }),
      fc.string({ unit: interestingCharacter, maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
        let source = validProgram;
        for (const [position, deleteCount, inserted] of mutations) {
          source = source.slice(0, position) + inserted + source.slice(position + deleteCount);
        }
        expectWellFormedResult(source);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on sequences of tokens", () => {
    const token = fc.constantFrom(
      "model",
      "prompt",
      "generate",
      "from",
      "sweep",
      "p",
      "=",
      '"s"',
      '"',
      "5",
      ";",
      "\n",
      "#c\n",
      " ",
      "\\",
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => expectWellFormedResult(tokens.join(""))),
      { numRuns: 500 },
    );
  });
});
