// Diagnostics as users read them: the text format, the catalogue, and "did you mean" suggestions.

import { describe, expect, it } from "vitest";
import { DIAGNOSTICS, createDiagnostic } from "../../foundation/diagnostics.js";
import { closestName, editDistance } from "../../compiler/edit-distance.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import type { SourceRange } from "../../foundation/source.js";
import { header } from "../support/compile.js";

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

  it("leaves a byte order mark, which takes no room, out of the indent", () => {
    const source = '\uFEFFmodel "m" @';
    const [diagnostic] = compile(source).diagnostics;
    expect(formatDiagnostic(diagnostic!, "f.ptch", source).split("\n").slice(1)).toEqual([source, "          ^"]);
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

  it("shows at most 120 characters of one value, so that a huge name cannot fill the message", () => {
    const range: SourceRange = { start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
    const { message } = createDiagnostic("undefinedPrompt", range, { name: "n".repeat(100_000), suggestion: "" });
    expect(message).toBe(`no prompt named '${"n".repeat(120)}…'`);
    // A cut never splits a surrogate pair.
    const emoji = createDiagnostic("undefinedPrompt", range, { name: `${"n".repeat(119)}😀😀`, suggestion: "" });
    expect(emoji.message).toBe(`no prompt named '${"n".repeat(119)}…'`);
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
