// Syntax errors: what is reported, where, and without cascades.

import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/index.js";
import { MAX_LIST_RECOVERIES } from "../../grammar/parser.js";
import { spanOf, startOf } from "../support/ranges.js";
import { problems } from "../support/parse.js";

describe("intervention syntax errors", () => {
  it.each([
    ["patch resid[L=1 pos=2] from a into b", "PTCH1001 1:17", "expected ']' after '1', found 'pos'"],
    ["patch resid[L=1,] from a into b", "PTCH1001 1:17", "expected a name after ',', found ']'"],
    ["patch resid[] from a into b", "PTCH1001 1:13", "expected a name after '[', found ']'"],
    ["patch resid[L] from a into b", "PTCH1001 1:14", "expected '=' after 'L', found ']'"],
    [
      "patch resid[L=] from a into b",
      "PTCH1001 1:15",
      "expected '*', 'prompt', 'new', a string, '-', a number or a name after '=', found ']'",
    ],
    ["patch resid[L=1..] from a into b", "PTCH1001 1:18", "expected '-', a number or a name after '..', found ']'"],
    ["patch resid[L=1] from a", "PTCH1001 1:24", "expected 'into' after 'a', found the end of the file"],
    ["patch resid[L=1] into b", "PTCH1001 1:18", "expected 'from' after ']', found 'into'"],
    ["patch from a into b", "PTCH1004 1:7", "'from' is a reserved word and can't be used as a name"],
    ["let x = resid[L=1]", "PTCH1001 1:19", "expected 'of' after ']', found the end of the file"],
    ["let x = resid[L=1] of 5", "PTCH1001 1:23", "expected a name or a string after 'of', found '5'"],
    ["let = resid[L=1] of a", "PTCH1001 1:5", "expected a name after 'let', found '='"],
    ["let new = resid of a", "PTCH1004 1:5", "'new' is a reserved word and can't be used as a name"],
    ["export x = resid of a", "PTCH1001 1:8", "expected 'let' after 'export', found 'x'"],
    ["add resid[L=1] to resid[L=1] in b", "PTCH1001 1:16", "expected 'of' after ']', found 'to'"],
    ["add 1 2 to resid in b", "PTCH1001 1:7", "expected 'to' after '1', found '2'"],
    ["add 1 + to resid in b", "PTCH1001 1:9", "expected '-', a number, '(' or a name after '+', found 'to'"],
    ["add (1 + 2 to resid in b", "PTCH1001 1:12", "expected ')' after '2', found 'to'"],
    ["add 1 to resid of b", "PTCH1001 1:16", "expected 'in' after 'resid', found 'of'"],
    [
      "set resid in b to",
      "PTCH1001 1:18",
      "expected '-', a number, '(' or a name after 'to', found the end of the file",
    ],
    ["set resid in b 2", "PTCH1001 1:16", "expected 'to' after 'b', found '2'"],
    ["scale resid in b 2", "PTCH1001 1:18", "expected 'by' after 'b', found '2'"],
    ["zero resid b", "PTCH1001 1:12", "expected 'in' after 'resid', found 'b'"],
    ["mean resid in b a", "PTCH1001 1:17", "expected 'over' after 'b', found 'a'"],
    ["mean resid in b over a,", "PTCH1001 1:24", "expected a name after ',', found the end of the file"],
    ["mean resid in b over a b", "PTCH1003 1:24", "expected a newline or ';' after the statement, found 'b'"],
    [
      "generate 5 from p sample temperature",
      "PTCH1001 1:37",
      "expected '=' after 'temperature', found the end of the file",
    ],
    ["generate 5 from p sample seed=-x", "PTCH1001 1:32", "expected a number after '-', found 'x'"],
    ["generate 5 from p sample seed=1 x", "PTCH1001 1:34", "expected '=' after 'x', found the end of the file"],
    ["generate 5 from p stop", "PTCH1001 1:23", "expected a string or a name after 'stop', found the end of the file"],
    [
      'generate 5 from p stop "x" sample',
      "PTCH1003 1:28",
      "expected a newline or ';' after the statement, found 'sample'",
    ],
    ["zero resid[pos=1...4] in p", "PTCH1005 1:19", "unexpected character '.'"],
  ])("%j → %s", (source, expected, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`)).toEqual([expected]);
    expect(diagnostics[0]).toMatchObject({ severity: "error", message });
  });

  it("reports only the first error of a statement that recovery could not complete", () => {
    expect(problems("add 1 + to resid[L=1 in b")).toEqual(["PTCH1001 1:9"]);
    expect(problems("patch from a into b")).toEqual(["PTCH1004 1:7"]);
  });

  it("reports every error of a statement that recovery completed by inserting punctuation", () => {
    expect(problems("zero resid[L=1 in b c\nlet x = resid[L=1 of a b")).toEqual([
      "PTCH1001 1:16",
      "PTCH1003 1:21",
      "PTCH1001 2:19",
      "PTCH1003 2:24",
    ]);
  });

  it("leaves out a statement that recovery could not complete, and keeps the ones around it", () => {
    const { program } = parse(
      'model "m"\nadd 1 + to resid[L=1] in b\nzero resid[L=1] in b\nlet x = resid[L=1]\nlet y = resid of b',
    );
    expect(program.statements.map((statement) => statement.kind)).toEqual(["model", "zero", "let"]);
  });

  it("keeps a statement into which recovery inserted a ']' or a ')', ending its ranges at what was written", () => {
    const { program, diagnostics } = parse("zero resid[L=1 in b\nscale resid in b by (2 * x\n");
    expect(diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`)).toEqual([
      "PTCH1001 1:16",
      "PTCH1001 2:27",
    ]);
    const [zero, scale] = program.statements;
    if (zero?.kind !== "zero" || scale?.kind !== "scale") throw new Error("expected the zero and scale statements");
    expect(spanOf(zero.site.range)).toBe("1:6-1:15");
    expect(spanOf(scale.range)).toBe("2:1-2:27");
  });
});

describe("syntax errors", () => {
  const expectedStatement =
    "expected a statement (model, prompt, param, sweep, let, export let, patch, add, set, scale, zero, mean, generate or measure)";

  it.each([
    ["model", "PTCH1001 1:6", "expected a string after 'model', found the end of the file"],
    ["model\n", "PTCH1001 1:6", "expected a string after 'model', found the end of the line"],
    ["model stories260K", "PTCH1001 1:7", "expected a string after 'model', found 'stories260K'"],
    ['prompt = "x"', "PTCH1001 1:8", "expected a name after 'prompt', found '='"],
    ['prompt p "x"', "PTCH1001 1:10", `expected '=' after 'p', found the string "x"`],
    ["prompt p = 5", "PTCH1001 1:12", "expected a string or a name after '=', found '5'"],
    ["generate from p", "PTCH1001 1:10", "expected '-', a number or a name after 'generate', found 'from'"],
    ["generate 5 p", "PTCH1001 1:12", "expected 'from' after '5', found 'p'"],
    ["generate 5 from", "PTCH1001 1:16", "expected a name after 'from', found the end of the file"],
    ["generate 5 from 6", "PTCH1001 1:17", "expected a name after 'from', found '6'"],
    ["story", "PTCH1002 1:1", `${expectedStatement}, found 'story'`],
    ['= "x"', "PTCH1002 1:1", `${expectedStatement}, found '='`],
    ['"stray"', "PTCH1002 1:1", `${expectedStatement}, found the string "stray"`],
    ["from", "PTCH1002 1:1", `${expectedStatement}, found 'from'`],
    ['model "m" "n"', "PTCH1003 1:11", `expected a newline or ';' after the statement, found the string "n"`],
    ["generate 1 from p q", "PTCH1003 1:19", "expected a newline or ';' after the statement, found 'q'"],
    ['model "m" = 1\nprompt p = ""', "PTCH1003 1:11", "expected a newline or ';' after the statement, found '='"],
    ['model @"m"', "PTCH1005 1:7", "unexpected character '@'"],
    ['model "m" $$', "PTCH1005 1:11", "unexpected character '$'"],
    ['model "m"\f', "PTCH1005 1:10", "unexpected character U+000C"],
    ["zero resid[L=1, pos=1.] in p", "PTCH1005 1:22", "unexpected character '.'"],
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
    expect(diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`)).toEqual([expected]);
    expect(diagnostics[0]).toMatchObject({ severity: "error", message });
  });

  it("underlines the whole offending token or escape", () => {
    const [reserved] = parse('prompt sweep = "x"').diagnostics;
    const [escape] = parse('model "a\\u{D800}b"').diagnostics;
    const [unterminated] = parse('model "abc\nprompt p = ""').diagnostics;
    const [atEndOfLine] = parse("model\n").diagnostics;
    expect([reserved, escape, unterminated, atEndOfLine].map((diagnostic) => spanOf(diagnostic!.range))).toEqual([
      "1:8-1:13",
      "1:9-1:17",
      "1:7-1:11",
      "1:6-1:6",
    ]);
  });

  it("reports every syntax error in the file in one pass", () => {
    const source = ["model", 'prompt p "x"', "generate from p", "junk", 'model "m" "n"', 'prompt q = "\\q\\u{}"'].join(
      "\n",
    );
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
    expect(problems("generate 1 x y z from p")).toEqual(["PTCH1001 1:12"]);
  });

  it("reports a misspelt keyword once, rather than reading the next word as a name", () => {
    expect(problems("generate 60 form story")).toEqual(["PTCH1001 1:13"]);
  });

  it("assumes a missing '=' and goes on checking the rest of the statement", () => {
    expect(problems('prompt p "x" y')).toEqual(["PTCH1001 1:10", "PTCH1003 1:14"]);
  });

  it("keeps the statements around the broken ones", () => {
    const { program } = parse(
      'model "m"\nprompt = "lost"\nprompt kept = "k"\ngenerate from kept\ngenerate 1 from kept',
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

describe("files too broken to parse", () => {
  const malformed = Array.from({ length: 20_000 }, () => "1 2").join(", ");
  const program = (statement: string) => `model "stories260K"\nprompt p = "x"\n${statement}\ngenerate 1 from p\n`;

  it("tens of thousands of malformed items in a list give one diagnostic, not a crash", () => {
    const { program: parsed, diagnostics } = parse(program(`sweep x in [${malformed}]`));
    expect(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column])).toEqual([["PTCH1001", 3, 15]]);
    expect(parsed.statements.map((statement) => statement.kind)).toEqual(["model", "prompt", "generate"]);
    // The parser is shared: the next file parses as usual.
    expect(parse('model "m"\nprompt p = "x"\ngenerate 1 from p\n').diagnostics).toEqual([]);
  });

  it("each malformed item of a list is reported, up to the number recovery resumes from", () => {
    const items = (count: number) => Array.from({ length: count }, () => "1 2").join(", ");
    const atMost = parse(`sweep x in [${items(MAX_LIST_RECOVERIES)}]\n`);
    expect(atMost.diagnostics).toHaveLength(MAX_LIST_RECOVERIES);
    expect(atMost.program.statements.map((statement) => statement.kind)).toEqual(["sweep"]);
    // Past the cap the list ends. One item more still parses (recovery drops its stray number right before the ']');
    // two more, and the statement is skipped as a whole, with its first error.
    expect(parse(`sweep x in [${items(MAX_LIST_RECOVERIES + 2)}]\n`).diagnostics).toHaveLength(1);
  });

  it("a long malformed selector list is an ordinary syntax error", () => {
    const { diagnostics } = parse(program(`zero resid[${malformed}] in p`));
    expect(diagnostics.map((d) => d.code)).toEqual(["PTCH1001"]);
  });
});
