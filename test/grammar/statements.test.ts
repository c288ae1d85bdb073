// The grammar: each statement, selector and expression, separators, comments and strings, to the AST.

import { describe, expect, it } from "vitest";
import { decodeEscapes } from "../../grammar/ast-builder.js";
import { parse, parseCst } from "../../grammar/index.js";
import { spanOf, startOf } from "../support/ranges.js";
import { problems, statementOf, statementsOf, valueOf } from "../support/parse.js";

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
