// Hostile input: limits on sizes and nesting, and properties that hold for any text.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, parseCst } from "../../grammar/index.js";
import type { Diagnostic } from "../../foundation/diagnostics.js";
import type { SourcePosition, SourceRange } from "../../foundation/source.js";
import { spanOf } from "../support/ranges.js";
import { problems, statementsOf } from "../support/parse.js";

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
      { code: "PTCH1010", message: "parentheses nest more than 64 deep in this statement" },
    ]);
    expect(spanOf(diagnostics[0]!.range)).toBe("2:69-2:70");
    expect(program.statements.map((statement) => statement.kind)).toEqual(["prompt", "generate"]);
  });

  it("limits the nesting of metric calls too, where a measure or a generation's measure nests them", () => {
    const nested = (depth: number) => "prob(".repeat(depth) + '" x"' + ")".repeat(depth);
    for (const statement of [`measure m = ${nested(5000)} of p`, `generate 1 from p measure ${nested(5000)}`]) {
      const { program, diagnostics } = parse(`prompt p = ""\n${statement}\n`);
      expect(diagnostics.map((d) => d.code)).toEqual(["PTCH1010"]);
      expect(program.statements.map((s) => s.kind)).toEqual(["prompt"]);
    }
    expect(parse(`prompt p = ""\nmeasure m = ${nested(64)} of p\n`).diagnostics).toEqual([]);
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
