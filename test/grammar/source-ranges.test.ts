// The source ranges the AST records, which every diagnostic and tool relies on.

import { describe, expect, it } from "vitest";
import { parse } from "../../grammar/index.js";
import { spanOf, startOf } from "../support/ranges.js";
import { problems, statementOf, statementsOf } from "../support/parse.js";

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
