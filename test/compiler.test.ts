import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DIAGNOSTICS, createDiagnostic } from "../compiler/diagnostics.js";
import { closestName, editDistance } from "../compiler/edit-distance.js";
import { compile, formatDiagnostic } from "../compiler/index.js";
import { modelRef } from "../compiler/plan.js";
import type { Diagnostic, Plan, SourceRange } from "../compiler/types.js";

/** Compiles a program that must produce a plan and no diagnostics at all. */
function expectValid(source: string): Plan {
  const { plan, diagnostics } = compile(source);
  expect(diagnostics).toEqual([]);
  expect(plan).toBeDefined();
  return plan!;
}

/** Asserts that compiling `source` fails with `code` (at `line:col`, if given) and returns that diagnostic. */
function expectError(source: string, code: string, at?: string): Diagnostic {
  const { plan, diagnostics } = compile(source);
  expect(plan).toBeUndefined();
  const found = diagnostics.find((diagnostic) => diagnostic.code === code);
  expect(found, `no ${code} in ${JSON.stringify(diagnostics.map((d) => d.code))}`).toBeDefined();
  expect(found!.severity).toBe("error");
  if (at !== undefined) expect(position(found!.range)).toBe(at);
  return found!;
}

const position = (range: SourceRange): string => `${range.start.line}:${range.start.column}`;

/** The diagnostic codes of compiling `source`, in order. */
const codes = (source: string): string[] => compile(source).diagnostics.map((diagnostic) => diagnostic.code);

const header = 'model "stories260K"\nprompt story = "Once"\n';

describe("plans", () => {
  it("builds the plan of a program, keys in a fixed order", () => {
    const plan = expectValid(`${header}generate 60 from story\nprompt other = "x"; generate 2 from other`);
    expect(JSON.stringify(plan)).toBe(
      JSON.stringify({
        planVersion: 1,
        model: { kind: "bundled", name: "stories260K" },
        prompts: [
          { name: "story", text: "Once" },
          { name: "other", text: "x" },
        ],
        generations: [
          { prompt: "story", maxNewTokens: 60, sampling: { kind: "greedy" } },
          { prompt: "other", maxNewTokens: 2, sampling: { kind: "greedy" } },
        ],
      }),
    );
  });

  it("allows statements in any order", () => {
    expect(expectValid('generate 1 from p\nprompt p = ""\nmodel "m"').generations).toEqual([
      { prompt: "p", maxNewTokens: 1, sampling: { kind: "greedy" } },
    ]);
  });

  it.each([
    ["stories260K", { kind: "bundled", name: "stories260K" }],
    ["tiny-llama_2", { kind: "bundled", name: "tiny-llama_2" }],
    ["models/x", { kind: "file", path: "models/x" }],
    ["./x", { kind: "file", path: "./x" }],
    ["C:\\models\\x", { kind: "file", path: "C:\\models\\x" }],
    ["/abs/x", { kind: "file", path: "/abs/x" }],
    ["x.gguf", { kind: "file", path: "x.gguf" }],
    ["X.GGUF", { kind: "file", path: "X.GGUF" }],
    ["x.safetensors", { kind: "file", path: "x.safetensors" }],
    ["x.onnx", { kind: "file", path: "x.onnx" }],
    ["x.gguf.txt", { kind: "bundled", name: "x.gguf.txt" }],
  ])("reads model %j as %j", (reference, expected) => {
    expect(modelRef(reference)).toEqual(expected);
  });
});

describe("checks", () => {
  it("requires a model statement, reported at the start of the file", () => {
    expect(expectError('prompt p = ""\ngenerate 1 from p', "PTCH3001", "1:1").message).toBe(
      'missing model statement; add one such as: model "stories260K"',
    );
  });

  it("reports each extra model statement, pointing back at the first", () => {
    const source = `${header}generate 1 from story\n  model "a"\nmodel "b"`;
    expect(codes(source)).toEqual(["PTCH3002", "PTCH3002"]);
    const duplicate = expectError(source, "PTCH3002", "4:3");
    expect(duplicate.related).toEqual([{ message: "the first model statement is here", range: expect.anything() }]);
    expect(position(duplicate.related![0]!.range)).toBe("1:1");
  });

  it("reports a prompt defined twice, pointing back at the first definition", () => {
    const duplicate = expectError(`${header}prompt story = "again"\ngenerate 1 from story`, "PTCH2002", "3:8");
    expect(duplicate.message).toBe("prompt 'story' is already defined");
    expect(duplicate.related?.map((related) => [related.message, position(related.range)])).toEqual([
      ["'story' is first defined here", "2:8"],
    ]);
  });

  it("reports a generate from an undefined prompt, suggesting a close name", () => {
    expect(expectError(`${header}generate 1 from stroy`, "PTCH2001", "3:17").message).toBe(
      "no prompt named 'stroy'; did you mean 'story'?",
    );
  });

  it("suggests nothing when no defined name is close", () => {
    expect(expectError(`${header}generate 1 from ending`, "PTCH2001").message).toBe("no prompt named 'ending'");
    expect(expectError('model "m"\ngenerate 1 from p', "PTCH2001").message).toBe("no prompt named 'p'");
  });

  it.each(["0", "000"])("rejects a generate count of %s", (count) => {
    expect(expectError(`${header}generate ${count} from story`, "PTCH3003", "3:10").message).toBe(
      `generate count must be at least 1, got ${count}`,
    );
  });

  it("requires at least one generate, reported at the end of the file", () => {
    expectError(header, "PTCH3004", "3:1");
  });

  it("warns about an unused prompt without stopping compilation", () => {
    const { plan, diagnostics } = compile(`${header}prompt spare = ""\ngenerate 1 from story`);
    expect(plan).toBeDefined();
    expect(diagnostics).toMatchObject([
      { code: "PTCH2003", severity: "warning", message: "prompt 'spare' is never used" },
    ]);
  });

  it("reports every semantic error in one pass, in source order", () => {
    expect(codes('prompt a = ""\nprompt a = ""\ngenerate 0 from b\nmodel "m"\nmodel "n"')).toEqual([
      "PTCH2002",
      "PTCH3003",
      "PTCH2001",
      "PTCH3002",
    ]);
    expect(codes("generate 1 from p\ngenerate 2 from q")).toEqual(["PTCH3001", "PTCH2001", "PTCH2001"]);
  });

  it("stops after syntax errors, so incomplete programs don't produce follow-on errors", () => {
    expect(codes('prompt = "x"\ngenerate 1 from x')).toEqual(["PTCH1001"]);
  });

  it("never throws, and returns a plan exactly when there are no errors", () => {
    const fragment = fc.constantFrom(
      'model "m"',
      'model "a/b.gguf"',
      'prompt p = "x"',
      'prompt q = "\\u{41}"',
      "generate 3 from p",
    );
    const separator = fc.constantFrom("\n", ";", " ", "");
    fc.assert(
      fc.property(fc.array(fc.tuple(fragment, separator), { maxLength: 8 }), (parts) => {
        const { plan, diagnostics } = compile(parts.map(([text, end]) => text + end).join(""));
        const failed = diagnostics.some((diagnostic) => diagnostic.severity === "error");
        expect(plan === undefined).toBe(failed);
      }),
      { numRuns: 300 },
    );
  });
});

describe("formatDiagnostic", () => {
  it("prints location, severity, code and message, then the line with the range underlined", () => {
    const source = `${header}generate 60 from stroy\n`;
    const [diagnostic] = compile(source).diagnostics;
    expect(formatDiagnostic(diagnostic!, "story.ptch", source)).toBe(
      [
        "story.ptch:3:18: error PTCH2001: no prompt named 'stroy'; did you mean 'story'?",
        "generate 60 from stroy",
        "                 ^^^^^",
      ].join("\n"),
    );
  });

  it("keeps tabs in the indent so that the carets line up", () => {
    const source = "\tmodel\t@";
    const [diagnostic] = compile(source).diagnostics;
    expect(formatDiagnostic(diagnostic!, "f.ptch", source).split("\n").slice(1)).toEqual(["\tmodel\t@", "\t     \t^"]);
  });

  it("shows one caret for an empty range, even past the end of the text", () => {
    const source = "model\n";
    const [diagnostic] = compile(source).diagnostics;
    expect(formatDiagnostic(diagnostic!, "f.ptch", source)).toBe(
      [
        "f.ptch:1:6: error PTCH1001: expected a string after 'model', found the end of the line",
        "model",
        "     ^",
      ].join("\n"),
    );
    const [missingModel] = compile("").diagnostics;
    expect(formatDiagnostic(missingModel!, "empty.ptch", "").split("\n").slice(1)).toEqual(["", "^"]);
  });

  it("adds a note for related information", () => {
    const source = 'model "a"\nmodel "b"\nprompt p = ""; generate 1 from p';
    const [duplicate] = compile(source).diagnostics;
    expect(formatDiagnostic(duplicate!, "f.ptch", source)).toBe(
      [
        "f.ptch:2:1: error PTCH3002: only one model statement is allowed",
        'model "b"',
        "^^^^^^^^^",
        "f.ptch:1:1: note: the first model statement is here",
      ].join("\n"),
    );
  });

  it("underlines to the end of the line when a range spans lines", () => {
    const range: SourceRange = { start: { offset: 2, line: 1, column: 3 }, end: { offset: 6, line: 2, column: 2 } };
    const diagnostic = createDiagnostic("duplicateModel", range, {});
    expect(formatDiagnostic(diagnostic, "f", "abcd\nef").split("\n").slice(1)).toEqual(["abcd", "  ^^"]);
  });
});

describe("diagnostic catalogue", () => {
  const entries = Object.values(DIAGNOSTICS);

  it("gives every diagnostic a distinct PTCH code in its group's range", () => {
    const allCodes = entries.map((entry) => entry.code);
    expect(new Set(allCodes).size).toBe(allCodes.length);
    for (const code of allCodes) expect(code).toMatch(/^PTCH[1-9]\d{3}$/);
  });

  it("fills every placeholder of a message", () => {
    const range: SourceRange = { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
    expect(
      createDiagnostic("expectedToken", range, { expected: "a string", previous: "'model'", found: "'x'" }),
    ).toEqual({
      code: "PTCH1001",
      severity: "error",
      message: "expected a string after 'model', found 'x'",
      range,
    });
  });
});

describe("edit distance", () => {
  it.each([
    ["", "", 0],
    ["story", "story", 0],
    ["story", "stroy", 1],
    ["story", "stor", 1],
    ["story", "stories", 3],
    ["kitten", "sitting", 3],
    ["", "abc", 3],
  ])("%j → %j is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });

  it("suggests the closest name only when it is a plausible typo", () => {
    expect(closestName("stroy", ["other", "story", "stor"])).toBe("story");
    expect(closestName("ab", ["xy"])).toBeUndefined();
    expect(closestName("ending", ["story"])).toBeUndefined();
  });
});

describe("cases", () => {
  const casesDirectory = path.join(import.meta.dirname, "cases");
  const cases = readdirSync(casesDirectory).filter((file) => file.endsWith(".ptch"));

  it.each(cases)("%s compiles to its recorded plan and diagnostics", async (file) => {
    const source = readFileSync(path.join(casesDirectory, file), "utf8");
    const { plan, diagnostics } = compile(source);
    const formatted = diagnostics.map((diagnostic) => formatDiagnostic(diagnostic, file, source));
    const output = [...formatted, ...(plan ? [JSON.stringify(plan, null, 2)] : [])].join("\n\n") + "\n";
    await expect(output).toMatchFileSnapshot(path.join(casesDirectory, file.replace(/\.ptch$/, ".expected")));
  });
});
