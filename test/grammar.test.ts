import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEscapes } from "../grammar/ast-builder.js";
import { parse, parseCst } from "../grammar/index.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { Expression, Statement } from "../grammar/ast.js";
import type { SourcePosition, SourceRange } from "../foundation/source.js";
import { spanOf, startOf } from "./support/ranges.js";

/** Parses a program that must have no diagnostics and returns its statements. */
function statementsOf(source: string): Statement[] {
  const { program, diagnostics } = parse(source);
  expect(diagnostics).toEqual([]);
  return program.statements;
}

/** "line:col" of where a range starts, the way an editor shows it. */

/** Each diagnostic as "CODE line:col". */
function problems(source: string): string[] {
  return parse(source).diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`);
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
    expect(
      statementsOf('prompt models = ""\nprompt into_2 = ""\nprompt _x9 = ""\nprompt fromage = ""\nprompt params = ""'),
    ).toMatchObject([
      { name: { name: "models" } },
      { name: { name: "into_2" } },
      { name: { name: "_x9" } },
      { name: { name: "fromage" } },
      { name: { name: "params" } },
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

/** The one statement of a program that must parse without diagnostics. */
function statementOf(source: string): Statement {
  const [statement, ...rest] = statementsOf(source);
  expect(rest).toEqual([]);
  return statement!;
}

/** The value of `add VALUE to resid[L=0] in p`, as a compact string: binary operations in parentheses. */
function valueOf(value: string): string {
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

describe("intervention statements", () => {
  it("parses a patch, with selectors on the site", () => {
    expect(statementOf("patch resid[L=1, pos=-2] from source into target")).toMatchObject({
      kind: "patch",
      site: {
        name: { name: "resid" },
        selectors: [
          { key: { name: "L" }, value: { kind: "number", number: { value: 1, text: "1" } } },
          { key: { name: "pos" }, value: { kind: "number", number: { value: -2, text: "-2" } } },
        ],
      },
      source: { prompt: { name: "source" }, selectors: [] },
      target: { prompt: { name: "target" }, selectors: [] },
    });
  });

  it("parses a patch with selectors on each side", () => {
    expect(statementOf("patch resid from source[L=2, pos=-2] into target[L=1]")).toMatchObject({
      site: { name: { name: "resid" }, selectors: [] },
      source: { prompt: { name: "source" }, selectors: [{ key: { name: "L" } }, { key: { name: "pos" } }] },
      target: { prompt: { name: "target" }, selectors: [{ key: { name: "L" } }] },
    });
  });

  it("parses a let and an export let, from a prompt or a string", () => {
    expect(
      statementsOf('let lily = resid[L=2, pos=-1] of "Lily"\nexport let tom = mlp_out[L=0] of target'),
    ).toMatchObject([
      {
        kind: "let",
        exported: false,
        name: { name: "lily" },
        site: { name: { name: "resid" } },
        source: { kind: "text", text: { value: "Lily" } },
      },
      {
        kind: "let",
        exported: true,
        name: { name: "tom" },
        site: { name: { name: "mlp_out" } },
        source: { kind: "prompt", prompt: { name: "target" } },
      },
    ]);
  });

  it("parses add, set, scale and zero", () => {
    expect(
      statementsOf(
        "add x to resid[L=2] in t\nset mlp_out[L=0] in t to 2\nscale z[L=1, head=3] in t by 0.5\nzero attn_out in t",
      ),
    ).toMatchObject([
      {
        kind: "add",
        value: { kind: "capture", name: { name: "x" } },
        site: { name: { name: "resid" } },
        prompt: { name: "t" },
      },
      {
        kind: "set",
        site: { name: { name: "mlp_out" } },
        prompt: { name: "t" },
        value: { kind: "number", number: { value: 2 } },
      },
      {
        kind: "scale",
        site: { name: { name: "z" } },
        prompt: { name: "t" },
        factor: { kind: "number", number: { value: 0.5 } },
      },
      { kind: "zero", site: { name: { name: "attn_out" }, selectors: [] }, prompt: { name: "t" } },
    ]);
  });

  it("parses a mean over a list of prompts, or over none (which the checks report)", () => {
    expect(statementsOf("mean mlp_hidden[L=3] in t over a, b,c\nmean resid[L=0] in t over")).toMatchObject([
      {
        kind: "mean",
        site: { name: { name: "mlp_hidden" } },
        prompt: { name: "t" },
        over: { prompts: [{ name: "a" }, { name: "b" }, { name: "c" }] },
      },
      { kind: "mean", over: { prompts: [] } },
    ]);
  });

  it("parses generate with sampling options in any order, and a stop text with or without sampling", () => {
    expect(
      statementsOf(
        'generate 40 from t sample top_p=0.95 seed=7 temperature=0.8 top_k=40 stop "."\ngenerate 1 from t sample\ngenerate 1 from t stop "\\n"',
      ),
    ).toMatchObject([
      {
        kind: "generate",
        sampling: {
          options: [
            { key: { name: "top_p" }, value: { value: 0.95 } },
            { key: { name: "seed" }, value: { value: 7 } },
            { key: { name: "temperature" }, value: { value: 0.8 } },
            { key: { name: "top_k" }, value: { value: 40 } },
          ],
        },
        stop: { value: "." },
      },
      { kind: "generate", sampling: { options: [] } },
      { kind: "generate", stop: { value: "\n" } },
    ]);
    expect(statementOf("generate 1 from t")).not.toHaveProperty("sampling");
    expect(statementOf("generate 1 from t")).not.toHaveProperty("stop");
  });

  it("parses a negative sampling option, for the checks to report", () => {
    expect(statementOf("generate 1 from t sample seed=-1")).toMatchObject({
      sampling: { options: [{ value: { value: -1, text: "-1" } }] },
    });
  });

  it("accepts keywords inside names and any identifier as a site, selector or option name", () => {
    expect(statementOf("zero newt[into_1=2, ofs=1] in prompts")).toMatchObject({
      site: { name: { name: "newt" }, selectors: [{ key: { name: "into_1" } }, { key: { name: "ofs" } }] },
      prompt: { name: "prompts" },
    });
  });
});

describe("selectors", () => {
  const selectorValue = (written: string) => {
    const statement = statementOf(`zero resid[pos=${written}] in p`);
    if (statement.kind !== "zero") throw new Error("expected a zero statement");
    return statement.site.selectors[0]!.value;
  };

  it.each([
    ["3", { kind: "number", number: { value: 3, text: "3" } }],
    ["-2", { kind: "number", number: { value: -2, text: "-2" } }],
    ["0.5", { kind: "number", number: { value: 0.5, text: "0.5" } }],
    ["1..4", { kind: "span", from: { value: 1 }, to: { value: 4 } }],
    ["-3..-1", { kind: "span", from: { value: -3, text: "-3" }, to: { value: -1, text: "-1" } }],
    ["2..-1", { kind: "span", from: { value: 2 }, to: { value: -1 } }],
    ['"Lily"', { kind: "text", text: { value: "Lily" } }],
    ['"say \\"hi\\""', { kind: "text", text: { value: 'say "hi"' } }],
    ["prompt", { kind: "prompt" }],
    ["new", { kind: "new" }],
    ["*", { kind: "all" }],
    ["p", { kind: "param", name: { name: "p" } }],
    ["a..b", { kind: "span", from: { name: "a" }, to: { name: "b" } }],
    ["-3..b", { kind: "span", from: { value: -3 }, to: { name: "b" } }],
    ["a..-1", { kind: "span", from: { name: "a" }, to: { value: -1 } }],
  ])("parses pos=%s", (written, value) => {
    expect(selectorValue(written)).toMatchObject(value);
  });

  it("lexes 1..4 as an integer, '..' and an integer, and decimals with fractions or exponents as one number", () => {
    const types = (source: string) => parseCst(source).tokens.map((token) => token.tokenType.name);
    expect(types("1..4")).toEqual(["Integer", "DotDot", "Integer"]);
    expect(types("-1..-2")).toEqual(["Minus", "Integer", "DotDot", "Minus", "Integer"]);
    expect(types("0.5 1e-3 2.5E+4 3e2")).toEqual(["Decimal", "Decimal", "Decimal", "Decimal"]);
    expect(types("1.5..2")).toEqual(["Decimal", "DotDot", "Integer"]);
    expect(types("2e")).toEqual(["Integer", "Identifier"]);
  });

  it("keeps the value of a decimal with an exponent", () => {
    expect(selectorValue("1e-3")).toMatchObject({ number: { value: 0.001, text: "1e-3" } });
  });

  it("locates each selector, its key and its value, and the site with its brackets", () => {
    const statement = statementOf("zero resid[ L=1 , pos=-1..2 ] in p");
    if (statement.kind !== "zero") throw new Error("expected a zero statement");
    const [layer, positions] = statement.site.selectors;
    expect([layer!.range, layer!.key.range, layer!.value.range].map(spanOf)).toEqual([
      "1:13-1:16",
      "1:13-1:14",
      "1:15-1:16",
    ]);
    expect(spanOf(positions!.range)).toBe("1:19-1:28");
    expect(spanOf(positions!.value.range)).toBe("1:23-1:28");
    expect(spanOf(statement.site.range)).toBe("1:6-1:30");
    expect(spanOf(statement.site.name.range)).toBe("1:6-1:11");
  });

  it("locates a negative number from its sign", () => {
    expect(spanOf(selectorValue("- 2").range)).toBe("1:16-1:19");
  });
});

describe("expressions", () => {
  it.each([
    ["1 + 2 * 3", "(1 + (2 * 3))"],
    ["1 * 2 + 3", "((1 * 2) + 3)"],
    ["(1 + 2) * 3", "((1 + 2) * 3)"],
    ["1 - 2 - 3", "((1 - 2) - 3)"],
    ["a / b / c", "((a / b) / c)"],
    ["a - b * c / d + e", "((a - ((b * c) / d)) + e)"],
    ["-a * b", "(-a * b)"],
    ["-(a * b)", "-(a * b)"],
    ["- -1", "--1"],
    ["a - -1", "(a - -1)"],
    ["((x))", "x"],
    ['0.5 * (resid[L=2, pos=-1] of "Lily" - tom)', '(0.5 * (resid[…] of "Lily" - tom))'],
    ["2 * mlp_out of target", "(2 * mlp_out of target)"],
  ])("groups %s as %s", (written, grouped) => {
    expect(valueOf(written)).toBe(grouped);
  });

  it("keeps an inline capture's site and source", () => {
    const statement = statementOf("add q[L=0, head=1] of t * 2 to resid[L=0] in p");
    expect(statement).toMatchObject({
      value: {
        kind: "binary",
        operator: "*",
        left: {
          kind: "activation",
          site: { name: { name: "q" }, selectors: [{ key: { name: "L" } }, { key: { name: "head" } }] },
          source: { kind: "prompt", prompt: { name: "t" } },
        },
      },
    });
  });

  it("locates operations from their first to their last operand, and parenthesized ones with the parentheses", () => {
    const statement = statementOf("set resid[L=0] in p to -(a + 2) * b");
    if (statement.kind !== "set") throw new Error("expected a set statement");
    const { value } = statement;
    expect(spanOf(value.range)).toBe("1:24-1:36");
    if (value.kind !== "binary" || value.left.kind !== "negate") throw new Error("expected -(…) * b");
    expect(spanOf(value.left.range)).toBe("1:24-1:32");
    expect(spanOf(value.left.operand.range)).toBe("1:25-1:32");
  });
});

describe("intervention source ranges", () => {
  it.each([
    ["patch resid[L=1] from a[pos=0] into b[pos=1]", "1:1-1:45"],
    ["patch resid from a into b", "1:1-1:26"],
    ['let x = resid[L=1] of "Lily"', "1:1-1:29"],
    ["export let x = resid of a", "1:1-1:26"],
    ["add 1 to resid in p", "1:1-1:20"],
    ["set resid in p to x * 2", "1:1-1:24"],
    ["scale resid in p by (0.5)", "1:1-1:26"],
    ["zero resid[L=0] in p", "1:1-1:21"],
    ["mean resid in p over a, b", "1:1-1:26"],
    ["mean resid in p over", "1:1-1:21"],
    ["generate 1 from p sample", "1:1-1:25"],
    ["generate 1 from p sample seed=1", "1:1-1:32"],
    ['generate 1 from p sample stop "x"', "1:1-1:34"],
  ])("locates %s at %s", (source, expected) => {
    expect(spanOf(statementOf(source).range)).toBe(expected);
  });

  it("locates a mean's list from 'over', and a sampling clause from 'sample'", () => {
    const [mean, generate] = statementsOf("mean resid in p over a, b\ngenerate 1 from p sample seed=1 top_k=2");
    if (mean?.kind !== "mean" || generate?.kind !== "generate") throw new Error("unexpected statement kinds");
    expect(spanOf(mean.over.range)).toBe("1:17-1:26");
    expect(spanOf(generate.sampling!.range)).toBe("2:19-2:40");
    expect(spanOf(generate.sampling!.options[1]!.range)).toBe("2:33-2:40");
  });
});

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

describe("parameters and sweeps", () => {
  it("parses a parameter of each type, a negative default included", () => {
    expect(statementsOf('param l = 3\nparam alpha = 0.5\nparam who = "Lily"\nparam back = -2')).toMatchObject([
      { kind: "param", name: { name: "l" }, default: { value: 3, text: "3" } },
      { kind: "param", name: { name: "alpha" }, default: { value: 0.5, text: "0.5" } },
      { kind: "param", name: { name: "who" }, default: { value: "Lily" } },
      { kind: "param", name: { name: "back" }, default: { value: -2, text: "-2" } },
    ]);
  });

  it("parses a sweep over a range or a list, and an empty list for the checks to report", () => {
    expect(
      statementsOf('sweep l in 0..5\nsweep p in -3..-1\nsweep x in [1, 2.5, -3]\nsweep s in ["a", "b"]\nsweep e in []'),
    ).toMatchObject([
      { kind: "sweep", name: { name: "l" }, values: { kind: "range", from: { value: 0 }, to: { value: 5 } } },
      { kind: "sweep", values: { kind: "range", from: { value: -3, text: "-3" }, to: { value: -1 } } },
      { kind: "sweep", values: { kind: "list", items: [{ value: 1 }, { value: 2.5 }, { value: -3, text: "-3" }] } },
      { kind: "sweep", values: { kind: "list", items: [{ value: "a" }, { value: "b" }] } },
      { kind: "sweep", values: { kind: "list", items: [] } },
    ]);
  });

  it.each([
    ["param l = -2", "1:1-1:13", "1:11-1:13"],
    ['param who = "Lily"', "1:1-1:19", "1:13-1:19"],
    ["sweep l in 0..5", "1:1-1:16", "1:12-1:16"],
    ['sweep s in ["a", "b"]', "1:1-1:22", "1:12-1:22"],
    ["sweep e in [ ]", "1:1-1:15", "1:12-1:15"],
  ])("locates %s at %s, its value at %s", (source, statementRange, valueRange) => {
    const statement = statementOf(source);
    if (statement.kind !== "param" && statement.kind !== "sweep") throw new Error("expected a param or a sweep");
    expect(spanOf(statement.range)).toBe(statementRange);
    expect(spanOf((statement.kind === "param" ? statement.default : statement.values).range)).toBe(valueRange);
  });

  it("parses names where literals may stand: selectors, counts, sampling options, stop and prompt texts", () => {
    expect(
      statementsOf(
        "prompt p = who\nzero z[L=l, head=h, pos=s] in p\ngenerate n from p sample temperature=t seed=7 stop s",
      ),
    ).toMatchObject([
      { kind: "prompt", name: { name: "p" }, text: { name: "who" } },
      {
        kind: "zero",
        site: {
          selectors: [
            { key: { name: "L" }, value: { kind: "param", name: { name: "l" } } },
            { key: { name: "head" }, value: { kind: "param", name: { name: "h" } } },
            { key: { name: "pos" }, value: { kind: "param", name: { name: "s" } } },
          ],
        },
      },
      {
        kind: "generate",
        count: { name: "n" },
        prompt: { name: "p" },
        sampling: { options: [{ value: { name: "t" } }, { value: { value: 7 } }] },
        stop: { name: "s" },
      },
    ]);
  });

  it("parses a name in a value as a reference, which the checks resolve to a parameter or a capture", () => {
    expect(valueOf("alpha * x")).toBe("(alpha * x)");
    expect(statementOf("add alpha to resid[L=0] in p")).toMatchObject({
      value: { kind: "capture", name: { name: "alpha" } },
    });
  });

  it("locates names standing for literals", () => {
    const [prompt, generate] = statementsOf("prompt p = who\ngenerate n from p stop s");
    if (prompt?.kind !== "prompt" || generate?.kind !== "generate") throw new Error("unexpected statement kinds");
    expect([prompt.range, prompt.text.range, generate.count.range, generate.range].map(spanOf)).toEqual([
      "1:1-1:15",
      "1:12-1:15",
      "2:10-2:11",
      "2:1-2:25",
    ]);
  });

  it.each([
    ["param x", "PTCH1001 1:8", "expected '=' after 'x', found the end of the file"],
    ["param x = y", "PTCH1001 1:11", "expected '-', a number or a string after '=', found 'y'"],
    ["param = 1", "PTCH1001 1:7", "expected a name after 'param', found '='"],
    ['param x = -"a"', "PTCH1001 1:12", "expected a number after '-', found the string \"a\""],
    ["sweep", "PTCH1001 1:6", "expected a name after 'sweep', found the end of the file"],
    ["sweep in in 0..1", "PTCH1004 1:7", "'in' is a reserved word and can't be used as a name"],
    ["sweep l 0..1", "PTCH1001 1:9", "expected 'in' after 'l', found '0'"],
    ["sweep l in", "PTCH1001 1:11", "expected '-', a number or '[' after 'in', found the end of the file"],
    ["sweep l in a..b", "PTCH1001 1:12", "expected '-', a number or '[' after 'in', found 'a'"],
    ["sweep l in 1..", "PTCH1001 1:15", "expected a number after '..', found the end of the file"],
    ["sweep l in 1", "PTCH1001 1:13", "expected '..' after '1', found the end of the file"],
    ["sweep l in [1,]", "PTCH1001 1:15", "expected '-', a number or a string after ',', found ']'"],
    ["sweep l in [1 2]", "PTCH1001 1:15", "expected ']' after '1', found '2'"],
    ["sweep l in [x]", "PTCH1001 1:13", "expected ']' after '[', found 'x'"],
    ["sweep l in 0..1..2", "PTCH1003 1:16", "expected a newline or ';' after the statement, found '..'"],
    ["zero resid[L=-l] in p", "PTCH1001 1:15", "expected a number after '-', found 'l'"],
    ["generate 1 from p stop 5", "PTCH1001 1:24", "expected a string or a name after 'stop', found '5'"],
    ['generate "n" from p', "PTCH1001 1:10", `expected '-', a number or a name after 'generate', found the string "n"`],
  ])("%j → %s", (source, expected, message) => {
    const { diagnostics } = parse(source);
    expect(diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`)).toEqual([expected]);
    expect(diagnostics[0]).toMatchObject({ severity: "error", message });
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
    expect(program.comments.map((comment) => [comment.text, spanOf(comment.range)])).toEqual([
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
    expect([model, prompt, generate].map((statement) => spanOf(statement!.range))).toEqual([
      "1:1-1:10",
      "2:3-2:24",
      "3:1-3:23",
    ]);
  });

  it("locates names, strings (with their quotes) and numbers", () => {
    expect(prompt).toMatchObject({ kind: "prompt" });
    if (prompt?.kind !== "prompt" || generate?.kind !== "generate") throw new Error("unexpected statement kinds");
    expect(spanOf(prompt.name.range)).toBe("2:10-2:15");
    expect(spanOf(prompt.text.range)).toBe("2:18-2:24");
    expect(spanOf(generate.count.range)).toBe("3:10-3:12");
    expect(spanOf(generate.prompt.range)).toBe("3:18-3:23");
  });

  it("gives offsets that index the source", () => {
    if (prompt?.kind !== "prompt") throw new Error("expected a prompt");
    const { start, end } = prompt.name.range;
    expect(source.slice(start.offset, end.offset)).toBe("story");
  });

  it("counts a CRLF as one line break", () => {
    const [, second] = statementsOf('model "m"\r\n\r\nprompt p = ""');
    expect(startOf(second!.range)).toBe("3:1");
  });

  it("spans the whole file with the program", () => {
    expect(spanOf(parse("model\n").program.range)).toBe("1:1-2:1");
  });

  it("skips a byte order mark at the start of the file, keeping offsets into the text as given", () => {
    const [model, prompt] = statementsOf('\uFEFFmodel "m"\nprompt p = ""');
    expect(spanOf(model!.range)).toBe("1:2-1:11");
    expect(model!.range.start.offset).toBe(1);
    expect(spanOf(prompt!.range)).toBe("2:1-2:14");
  });

  it("reports U+FEFF anywhere but at the start of the file", () => {
    expect(parse('model "m"\n\uFEFFprompt p = ""').diagnostics).toMatchObject([
      { code: "PTCH1005", message: "unexpected character U+FEFF" },
    ]);
    expect(problems('\uFEFF\uFEFFmodel "m"')).toEqual(["PTCH1005 1:2"]);
  });
});

describe("limits on the size of a value", () => {
  const add = (value: string) => `add ${value} to resid[L=1] in p`;

  it.each([
    ["parentheses nested 64 deep", "(".repeat(64) + "1" + ")".repeat(64)],
    ["256 operators, signs included", "1" + " + 1".repeat(254) + " * -1"],
    ["64 nested parentheses and 256 operators, all nesting", "-(".repeat(64) + "-".repeat(192) + "1" + ")".repeat(64)],
  ])("accepts %s", (_, value) => {
    expect(statementsOf(add(value))).toHaveLength(1);
  });

  it("reports parentheses nested more than 64 deep, at the first too deep, and leaves the statement out", () => {
    const source = `prompt p = ""\n${add("(".repeat(500) + "1" + ")".repeat(500))}\ngenerate 1 from p`;
    const { program, diagnostics } = parse(source);
    expect(diagnostics).toMatchObject([
      { code: "PTCH1010", message: "parentheses nest more than 64 deep in this value" },
    ]);
    expect(spanOf(diagnostics[0]!.range)).toBe("2:69-2:70");
    expect(program.statements.map((statement) => statement.kind)).toEqual(["prompt", "generate"]);
  });

  it("reports more than 256 operators, at the first too many", () => {
    const source = add(Array.from({ length: 2000 }, () => "1").join(" + "));
    expect(parse(source).diagnostics).toMatchObject([
      { code: "PTCH1011", message: "this value has more than 256 operators (+ - * /, signs included)" },
    ]);
    const offsetOf257thPlus = source.split("+", 257).join("+").length;
    expect(problems(source)).toEqual([`PTCH1011 1:${offsetOf257thPlus + 1}`]);
  });

  it.each([
    ["a chain of negations", add("-".repeat(3000) + "1"), ["PTCH1011"]],
    ["both limits at once", `set resid[L=1] in p to ${"-(".repeat(300)}1${")".repeat(300)}`, ["PTCH1010", "PTCH1011"]],
    [
      "an unclosed parenthesis in each of many values",
      `${add("(".repeat(100))}\n${add("(".repeat(65))}`,
      ["PTCH1010", "PTCH1010"],
    ],
  ])("reports %s without overflowing the stack", (_, source, codes) => {
    expect(parse(source).diagnostics.map((diagnostic) => diagnostic.code)).toEqual(codes);
  });

  it("counts only the statements that take a value: a long sweep of negative numbers is fine", () => {
    const values = Array.from({ length: 1000 }, (_, i) => -i).join(", ");
    expect(statementsOf(`sweep x in [${values}]`)).toHaveLength(1);
  });

  it("keeps the limits for statements the parser sees, so that parseCst is safe for tools too", () => {
    const { tokens, exceededLimits } = parseCst(`${add("(".repeat(100) + "1" + ")".repeat(100))};zero resid in p`);
    expect(exceededLimits.map(({ limit, token }) => [limit, token.startOffset])).toEqual([["nesting", 4 + 64]]);
    expect(tokens.map((token) => token.image)).toEqual([";", "zero", "resid", "in", "p"]);
  });
});

describe("reserved words", () => {
  const keywords = ["model", "prompt", "generate", "from", "patch", "into", "export", "let", "of", "add", "to", "set"];
  const moreKeywords = ["scale", "by", "zero", "mean", "over", "in", "new", "sample", "stop", "param", "sweep"];

  it.each([...keywords, ...moreKeywords])("rejects '%s' as a prompt name", (word) => {
    const { diagnostics } = parse(`prompt ${word} = "x"`);
    expect(diagnostics).toMatchObject([
      { code: "PTCH1004", message: `'${word}' is a reserved word and can't be used as a name` },
    ]);
    expect(startOf(diagnostics[0]!.range)).toBe("1:8");
  });

  it("rejects a reserved word as the prompt of a generate", () => {
    expect(problems("generate 1 from sweep")).toEqual(["PTCH1004 1:17"]);
  });
});

describe("syntax errors", () => {
  const expectedStatement =
    "expected a statement (model, prompt, param, sweep, let, export let, patch, add, set, scale, zero, mean or generate)";

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
    "patch resid[L=1, pos=-2] from story into other",
    "patch resid from story[L=2, pos=0..3] into other[L=1, pos=-4..-1]",
    'let lily = resid[L=2, pos=-1] of "Lily"',
    "export let tom = z[L=2, head=1, pos=prompt] of other",
    'add 0.5 * (resid[L=2, pos=-1] of "Lily" - tom) / -2 to resid[L=2, pos=new] in other',
    'set mlp_out[L=0, pos="Lily"] in other to lily * 1e-3',
    "scale v[L=1, head=0, pos=*] in other by -0.5; zero attn_out[L=1] in other",
    "mean mlp_hidden[L=3, pos=1..4] in other over story",
    'generate 5 from other sample temperature=0.8 top_k=40 top_p=0.95 seed=7 stop "."',
    'param alpha = 0.5; param who = "Lily"; param n = -2',
    'sweep l in 0..2; sweep p in [-2, -1]; sweep s in ["a", "b"]; sweep e in []',
    "prompt named = who",
    "patch resid[L=l, pos=p] from story into other[pos=n..-1]",
    "add alpha * tom to z[L=l, head=n, pos=who] in other",
    "generate n from other sample temperature=alpha seed=l stop s",
  ].join("\n");

  /** Characters that matter to the lexer, so mutations hit interesting cases more often than random text would. */
  const interestingCharacter = fc.constantFrom(...'"\\#;=\n\r\t {}u0123456789xD8FFabmodelprtgn_@😀\u2028[](),.-+*/eE');

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (source) => expectWellFormedResult(source)),
      { numRuns: 300 },
    );
  });

  it("starts the mutations from a valid program", () => {
    expect(parse(validProgram).diagnostics).toEqual([]);
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
      "param",
      "patch",
      "into",
      "export",
      "let",
      "of",
      "add",
      "to",
      "set",
      "scale",
      "by",
      "zero",
      "mean",
      "over",
      "in",
      "new",
      "sample",
      "stop",
      "p",
      "resid",
      "L",
      "x",
      "=",
      '"s"',
      '"',
      "5",
      "0.5",
      "1e-3",
      "-",
      "+",
      "*",
      "/",
      "..",
      ",",
      "[",
      "]",
      "(",
      ")",
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

describe("files too broken to parse", () => {
  const malformed = Array.from({ length: 20_000 }, () => "1 2").join(", ");
  const program = (statement: string) => `model "stories260K"\nprompt p = "x"\n${statement}\ngenerate 1 from p\n`;

  it("tens of thousands of malformed items in a list give one diagnostic, not a crash", () => {
    const { program: parsed, diagnostics } = parse(program(`sweep x in [${malformed}]`));
    expect(diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column])).toEqual([["PTCH1012", 1, 1]]);
    expect(parsed.statements).toEqual([]);
    // The parser is shared: the next file parses as usual.
    expect(parse('model "m"\nprompt p = "x"\ngenerate 1 from p\n').diagnostics).toEqual([]);
  });

  it("a long malformed selector list is an ordinary syntax error", () => {
    const { diagnostics } = parse(program(`zero resid[${malformed}] in p`));
    expect(diagnostics.map((d) => d.code)).toEqual(["PTCH1001"]);
  });
});
