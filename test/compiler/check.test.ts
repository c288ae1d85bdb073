// The checks that need no model: names, prompts, sites and selectors, interventions.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bindPlan } from "../../compiler/bind.js";
import { compile } from "../../compiler/index.js";
import { startOf } from "../support/ranges.js";
import { codes, experiment, expectError, expectValid, header, located } from "../support/compile.js";

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
    expect(startOf(duplicate.related![0]!.range)).toBe("1:1");
  });

  it("reports a prompt defined twice, pointing back at the first definition", () => {
    const duplicate = expectError(`${header}prompt story = "again"\ngenerate 1 from story`, "PTCH2002", "3:8");
    expect(duplicate.message).toBe("prompt 'story' is already defined");
    expect(duplicate.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
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

  it.each(["0", "000", "-5"])("rejects a generate count of %s", (count) => {
    expect(expectError(`${header}generate ${count} from story`, "PTCH3003", "3:10").message).toBe(
      `generate count must be at least 1, got ${count}`,
    );
  });

  it.each(["2.5", "1e2"])("rejects a generate count of %s, which is not written as an integer", (count) => {
    expect(expectError(`${header}generate ${count} from story`, "PTCH3005", "3:10").message).toBe(
      `generate count must be an integer, got ${count}`,
    );
  });

  it("requires a generate or an exported capture, reported at the end of the file", () => {
    expect(expectError(header, "PTCH3004", "3:1").message).toBe(
      "nothing to run: add a generate statement such as: generate 60 from <prompt name>, a measure, or export a capture with export let",
    );
    // A capture that isn't exported outputs nothing.
    expectError(`${header}let x = resid[L=0] of story\nadd x to resid[L=1] in story`, "PTCH3004");
  });

  it("accepts a file whose only outputs are exported captures", () => {
    const plan = expectValid(`${header}zero resid[L=0, pos=1] in story\nexport let x = resid[L=1, pos=1] of story`);
    expect(plan.steps.map((step) => step.kind)).toEqual(["zero", "capture"]);
  });

  it.each([
    ["generate 99999999999999999999 from story", "PTCH3006 3:10", "generate count must be at most 9007199254740991"],
    ["zero resid[L=99999999999999999999] in story", "PTCH3006 3:14", "L must be at most 9007199254740991"],
    ["zero z[L=0, head=9007199254740992] in story", "PTCH3006 3:18", "head must be at most 9007199254740991"],
    ["zero resid[L=0, pos=-9007199254740992] in story", "PTCH3006 3:21", "pos must be at least -9007199254740991"],
    ["zero resid[L=0, pos=0..9007199254740992] in story", "PTCH3006 3:24", "pos must be at most 9007199254740991"],
    ["zero resid[L=0, pos=1" + "0".repeat(400) + "] in story", "PTCH3006 3:21", "pos must be at most 9007199254740991"],
  ])("requires every integer to be a safe integer: %s", (statement, expected, message) => {
    const source = `${header}${statement}\ngenerate 1 from story`;
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toMatch(new RegExp(`^${message}, got -?[0-9]+…?$`));
  });

  it("accepts the largest safe integers", () => {
    expectValid(`${header}zero resid[L=9007199254740991, pos=-9007199254740991] in story\ngenerate 1 from story`);
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

  it("compiles a file that starts with a byte order mark", () => {
    expectValid(`\uFEFF${header}generate 1 from story`);
  });

  it("never throws on deep or long values, and reports those over a limit", () => {
    // A value built from the inside out, one layer at a time, so that the nesting and the operators are known; the
    // weights and lengths put about half the values within the limits, and many of those near them.
    const layer = fc.oneof(
      { weight: 3, arbitrary: fc.constant({ open: "(", close: ")", parentheses: 1, operators: 0 }) },
      fc.constant({ open: "-", close: "", parentheses: 0, operators: 1 }),
      fc
        .nat({ max: 20 })
        .map((count) => ({ open: "", close: " * 0.5".repeat(count), parentheses: 0, operators: count })),
      fc.nat({ max: 20 }).map((count) => ({ open: "1 - ".repeat(count), close: "", parentheses: 0, operators: count })),
      fc.constant({ open: "alpha / (", close: ")", parentheses: 1, operators: 1 }),
    );
    fc.assert(
      fc.property(
        fc.array(layer, { maxLength: 150, size: "max" }),
        fc.constantFrom("add", "scale"),
        (layers, statement) => {
          const value = layers.reduce(
            (inner, { open, close }) => `${open}${inner}${close}`,
            "resid[L=1, pos=0] of story",
          );
          const site = "resid[L=1, pos=0] in story";
          const intervention = statement === "add" ? `add ${value} to ${site}` : `scale ${site} by ${value}`;
          const source = `${header}param alpha = 2\n${intervention}\ngenerate 1 from story`;
          const { plan, diagnostics } = compile(source);
          const nesting = layers.reduce((depth, { parentheses }) => depth + parentheses, 0);
          const operators = layers.reduce((count, { operators }) => count + operators, 0);
          const expected = [...(nesting > 64 ? ["PTCH1010"] : []), ...(operators > 256 ? ["PTCH1011"] : [])];
          const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");
          expect(errors.map((diagnostic) => diagnostic.code).sort()).toEqual(expected);
          if (plan) expect(bindPlan(plan)).toHaveLength(1);
        },
      ),
      { numRuns: 200 },
    );
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
      'generate 3 from q sample temperature=0.5 top_k=0 seed=1 stop "."',
      "patch resid[L=1, pos=-1] from p into q",
      "patch resid from p[L=2, pos=0..1] into q[L=1, pos=new]",
      "let x = mlp_out[L=0, pos=-2..-1] of p",
      'export let p = z[L=1, head=2] of "lit"',
      "add 0.5 * (x - resid[L=1, pos=0] of q) to resid_post[L=0, pos=new] in p",
      "set resid[L=1] in q to -x / 2",
      "scale z[L=0, head=-1, pos=prompt] in p by 1e-3",
      'zero attn_out[L=1, pos="x"] in q',
      "mean mlp_hidden[L=1, pos=*] in p over q, p",
      "mean resdi[l=1.5, pos=3..1] in p over",
      "param l = 1",
      'param w = "x"',
      "param t = -0.5",
      "sweep s in [0, 2]",
      "sweep n in -1..2",
      'sweep e in ["", 1]',
      "sweep e in []",
      "prompt r = w",
      "zero resid[L=l, pos=s..1] in p",
      "add l * -t to resid[L=s, pos=w] in q",
      "patch resid[L=1] from p[pos=0..s] into q[pos=n..2]",
      "generate n from r sample temperature=t top_k=s stop w",
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

describe("intervention checks", () => {
  it.each([
    ["an unknown site", "zero resdi[L=1] in b", "PTCH2004 4:6", "unknown site 'resdi'; did you mean 'resid'?"],
    [
      "an unknown site nothing is close to",
      "zero embed[L=1] in b",
      "PTCH2004 4:6",
      "unknown site 'embed'; the sites are resid, resid_pre, resid_post, attn_out, resid_mid, mlp_out, mlp_hidden, mlp_post, z, q, k and v",
    ],
    [
      "an unknown selector",
      "zero resid[L=1, pso=2] in b",
      "PTCH2005 4:17",
      "unknown selector 'pso'; did you mean 'pos'?",
    ],
    [
      "an unknown selector nothing is close to",
      "zero resid[L=1, layer=2] in b",
      "PTCH2005 4:17",
      "unknown selector 'layer'; the selectors are L, head and pos",
    ],
    ["a repeated selector", "zero resid[L=1, pos=0, L=2] in b", "PTCH2006 4:24", "'L' is already selected"],
    [
      "a selector repeated on a patch side",
      "patch resid[L=1] from a[pos=0, pos=1] into b",
      "PTCH2006 4:32",
      "'pos' is already selected",
    ],
    [
      "a missing layer",
      "zero resid[pos=0] in b",
      "PTCH3007 4:6",
      "no layer selected for resid: add a selector such as L=0",
    ],
    [
      "a site without selectors",
      "zero mlp_out in b",
      "PTCH3007 4:6",
      "no layer selected for mlp_out: add a selector such as L=0",
    ],
    ["a patch side without a layer", "patch resid[pos=0] from a[L=1] into b", "PTCH3007 4:7", expect.anything()],
    [
      "a head on a site without heads",
      "zero mlp_out[L=1, head=0] in b",
      "PTCH3008 4:19",
      "mlp_out has no heads; only z, q, k and v take head=",
    ],
    [
      "a head on a patch side of a site without heads",
      "patch resid[L=1] from a into b[head=0]",
      "PTCH3008 4:32",
      expect.anything(),
    ],
    ["a negative layer", "zero resid[L=-1] in b", "PTCH3006 4:14", "L must be at least 0, got -1"],
    ["a negative head", "zero z[L=0, head=-2] in b", "PTCH3006 4:18", "head must be at least 0, got -2"],
    ["a decimal layer", "zero resid[L=1.5] in b", "PTCH3005 4:14", "L must be an integer, got 1.5"],
    ["a layer written as a decimal", "zero resid[L=1e0] in b", "PTCH3005 4:14", "L must be an integer, got 1e0"],
    ["a string layer", 'zero resid[L="1"] in b', "PTCH3005 4:14", 'L must be an integer, got "1"'],
    ["a span as the layer", "zero resid[L=0..1] in b", "PTCH3005 4:14", "L must be an integer, got 0..1"],
    ["prompt as the head", "zero z[L=0, head=prompt] in b", "PTCH3005 4:18", "head must be an integer, got prompt"],
    ["* as the head", "zero z[L=0, head=*] in b", "PTCH3005 4:18", "head must be an integer, got *"],
    ["new as the layer", "zero z[L=new] in b", "PTCH3005 4:10", "L must be an integer, got new"],
    ["a decimal position", "zero resid[L=0, pos=0.5] in b", "PTCH3005 4:21", "pos must be an integer, got 0.5"],
    [
      "a decimal end of a span",
      "zero resid[L=0, pos=0..-2.5] in b",
      "PTCH3005 4:24",
      "pos must be an integer, got -2.5",
    ],
    [
      "a span running backwards",
      "zero resid[L=0, pos=3..1] in b",
      "PTCH3104 4:21",
      "position range 3..1 runs backwards",
    ],
    [
      "a span running backwards from the end",
      "zero resid[L=0, pos=-1..-3] in b",
      "PTCH3104 4:21",
      "position range -1..-3 runs backwards",
    ],
    [
      "patch spans of unequal length",
      "patch resid[L=1] from a[pos=0..2] into b[pos=-2..-1]",
      "PTCH3106 4:42",
      "spans of unequal length: 3 positions against 2",
    ],
    [
      "a span patched into generated positions",
      "patch resid[L=1] from a[pos=0..1] into b[pos=new]",
      "PTCH3108 4:42",
      expect.stringContaining("generated positions take a single vector, but the value has 2"),
    ],
    [
      "a span patched into every position",
      "patch resid[L=1] from a[pos=0..1] into b",
      "PTCH3108 4:7",
      expect.anything(),
    ],
    [
      "generated positions of a patch source",
      "patch resid[L=1, pos=new] from a into b",
      "PTCH3109 4:18",
      "activations are read from a prefill run of 'a', which has no generated positions; select generated positions on the target instead (… into Q[pos=new])",
    ],
    [
      "generated positions of a string-literal source",
      'add resid[L=1, pos=new] of "x" to resid[L=1] in b',
      "PTCH3109 4:16",
      `activations are read from a prefill run of '"x"', which has no generated positions; select generated positions on the target instead (… into Q[pos=new])`,
    ],
    [
      "generated positions of a captured prompt",
      "export let x = resid[L=1, pos=new] of a",
      "PTCH3109 4:27",
      expect.anything(),
    ],
    ["an undefined capture", "add x to resid[L=1] in b", "PTCH2007 4:5", "no capture named 'x'"],
    [
      "a prompt used as a capture",
      "add a to resid[L=1] in b",
      "PTCH2007 4:5",
      "no capture named 'a'; 'a' is a prompt: read one of its sites with, for example, resid[L=0, pos=-1] of a",
    ],
    [
      "a capture used as a prompt",
      "export let x = resid[L=1] of b; generate 1 from x",
      "PTCH2001 4:49",
      "no prompt named 'x'; 'x' is a capture, not a prompt",
    ],
    ["an undefined patch source", "patch resid[L=1] from ending into b", "PTCH2001 4:23", "no prompt named 'ending'"],
    [
      "an undefined capture source",
      "export let x = resid[L=1] of bb",
      "PTCH2001 4:30",
      "no prompt named 'bb'; did you mean 'b'?",
    ],
    [
      "an undefined inline source",
      "add resid[L=1] of aa to resid[L=1] in b",
      "PTCH2001 4:19",
      "no prompt named 'aa'; did you mean 'a'?",
    ],
    ["an undefined intervention target", "zero resid[L=1] in ending", "PTCH2001 4:20", "no prompt named 'ending'"],
    [
      "an undefined prompt averaged over",
      "mean resid[L=1, pos=prompt] in b over ending",
      "PTCH2001 4:39",
      "no prompt named 'ending'",
    ],
    [
      "a capture named like a prompt",
      "export let a = resid[L=1] of b",
      "PTCH2010 4:12",
      "'a' is already the name of a prompt; give the capture another name",
    ],
    [
      "a mean over the ablated prompt",
      "mean resid[L=1, pos=prompt] in b over a, b",
      "PTCH3009 4:42",
      "'b' is the prompt being ablated; mean over other prompts",
    ],
    [
      "a mean over nothing",
      "mean resid[L=1, pos=prompt] in b over",
      "PTCH3010 4:34",
      "no prompts to average over: list them after 'over', separated by commas",
    ],
    [
      "a mean over generated positions",
      "mean resid[L=1, pos=new] in b over a",
      "PTCH3110 4:17",
      expect.stringContaining("mean ablation needs"),
    ],
    ["a mean over every position", "mean resid[L=1, pos=*] in b over a", "PTCH3110 4:17", expect.anything()],
    ["a mean without positions", "mean resid[L=1] in b over a", "PTCH3110 4:6", expect.anything()],
    [
      "a number too large",
      "scale resid[L=1] in b by 1e999",
      "PTCH3006 4:26",
      "a number must be finite as a 32-bit float (at most about 3.4e38 in size), got 1e999",
    ],
    [
      "a division by zero",
      "add 2 * (1 / 0) to resid[L=1] in b",
      "PTCH3020 4:9",
      "this computes to Infinity; a value must be finite as a 32-bit float (at most about 3.4e38 in size)",
    ],
    [
      "zero by zero",
      "set resid[L=1] in b to 0/0",
      "PTCH3020 4:24",
      "this computes to NaN; a value must be finite as a 32-bit float (at most about 3.4e38 in size)",
    ],
    [
      "a product too large",
      "scale resid[L=1] in b by -(1e30 * 1e30) * resid[L=1] of a",
      "PTCH3020 4:27",
      "this computes to 1.0000000000000001e+60; a value must be finite as a 32-bit float (at most about 3.4e38 in size)",
    ],
    ["an empty position text", 'zero resid[L=1, pos=""] in b', "PTCH3021 4:21", expect.stringContaining("empty text")],
    [
      "an empty position text on a patch side",
      'patch resid[L=1] from a[pos=""] into b[pos=0]',
      "PTCH3021 4:29",
      'an empty text selects no tokens; give the text to select, such as pos="Lily"',
    ],
  ])("reports %s", (_, statement, expected, message) => {
    const source = experiment(statement);
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toEqual(message);
  });

  it("points a repeated selector back at the first", () => {
    const [repeated] = compile(experiment("zero resid[L=1, pos=0, L=2] in b")).diagnostics;
    expect(repeated!.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
      ["'L' is first selected here", "4:12"],
    ]);
  });

  it("points unequal patch spans at the source span too", () => {
    const [unequal] = compile(experiment("patch resid[L=1] from a[pos=0..2] into b[pos=0..1]")).diagnostics;
    expect(unequal!.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
      ["the source span of 3 positions is selected here", "4:25"],
    ]);
  });

  it.each([
    ["a single source vector, which broadcasts", "patch resid[L=1] from a[pos=-1] into b[pos=0..2]"],
    ["spans of equal length", "patch resid[L=1] from a[pos=0..1] into b[pos=-2..-1]"],
    ["site positions shared by both sides", "patch resid[L=1, pos=1..2] from a into b"],
    ["spans whose length depends on the prompt", "patch resid[L=1] from a[pos=0..-1] into b[pos=0..1]"],
    ["a text span", 'patch resid[L=1] from a[pos="b c"] into b[pos=0]'],
    ["generated positions overridden on the source", "patch resid[L=1, pos=new] from a[pos=-1] into b"],
    ["a span whose ends have different signs", "zero resid[L=0, pos=2..-1] in b"],
    ["a one-position span", "zero resid[L=0, pos=2..2] in b"],
    ["the first layer and head", "zero v[L=0, head=0, pos=0] in b"],
    ["a mean over prompt positions", "mean resid[L=1, pos=prompt] in b over a"],
  ])("accepts %s", (_, statement) => {
    expectValid(experiment(statement));
  });

  it("reports a capture used before its definition, pointing at the definition", () => {
    const source = experiment("add x to resid[L=1] in b", "let x = resid[L=1] of a");
    expect(located(source)).toEqual(["PTCH2008 4:5"]);
    const [early] = compile(source).diagnostics;
    expect(early!.message).toBe(
      "capture 'x' is used before it is defined; statements run in the order they are written",
    );
    expect(early!.related?.map((related) => startOf(related.range))).toEqual(["5:5"]);
  });

  it("suggests a close capture name defined above", () => {
    const source = experiment("let lily = resid[L=1] of a", "add 2 * lilly to resid[L=1] in b");
    expect(located(source)).toEqual(["PTCH2007 5:9"]);
    expect(compile(source).diagnostics[0]!.message).toBe("no capture named 'lilly'; did you mean 'lily'?");
  });

  it("reports a capture defined twice, pointing back at the first", () => {
    const source = experiment("export let x = resid[L=1] of a", "export let x = resid[L=2] of a");
    expect(located(source)).toEqual(["PTCH2009 5:12"]);
    expect(compile(source).diagnostics[0]!.related?.map((related) => startOf(related.range))).toEqual(["4:12"]);
  });

  it("warns about a capture that is neither used nor exported, without stopping compilation", () => {
    const { plan, diagnostics } = compile(experiment("let x = resid[L=1] of a"));
    expect(plan).toBeDefined();
    expect(diagnostics).toMatchObject([
      {
        code: "PTCH2011",
        severity: "warning",
        message: "capture 'x' is never used; use it in a value, or write 'export let' to output it",
      },
    ]);
  });

  it("counts a prompt used only by an intervention, a capture or a mean as used", () => {
    const program = (statement: string) =>
      ['model "m"', 'prompt a = ""', 'prompt b = ""', statement, "generate 1 from b"].join("\n");
    expectValid(program("patch resid[L=1] from a[pos=0] into b[pos=0]"));
    expectValid(program("export let x = resid[L=1] of a"));
    expectValid(program("add resid[L=1, pos=0] of a to resid[L=1, pos=0] in b"));
    expectValid(program("mean resid[L=1, pos=prompt] in b over a"));
  });

  it.each([
    ["sample temprature=1", "PTCH2012 4:26", "unknown sampling option 'temprature'; did you mean 'temperature'?"],
    [
      "sample greedy=1",
      "PTCH2012 4:26",
      "unknown sampling option 'greedy'; the options are temperature, top_k, top_p and seed",
    ],
    ["sample seed=1 seed=2", "PTCH2013 4:33", "'seed' is already set"],
    ["sample temperature=-0.5", "PTCH3006 4:38", "temperature must be at least 0, got -0.5"],
    ["sample top_k=0", "PTCH3006 4:32", "top_k must be at least 1, got 0"],
    ["sample top_k=2.0", "PTCH3005 4:32", "top_k must be an integer, got 2.0"],
    ["sample top_p=0", "PTCH3006 4:32", "top_p must be greater than 0 and at most 1, got 0"],
    ["sample top_p=1.5", "PTCH3006 4:32", "top_p must be greater than 0 and at most 1, got 1.5"],
    ["sample seed=-1", "PTCH3006 4:31", "seed must be at least 0 and at most 4294967295, got -1"],
    ["sample seed=1e3", "PTCH3005 4:31", "seed must be an integer, got 1e3"],
    // The PRNG takes 32 bits: 4294967296 would give the tokens of seed=0.
    ["sample seed=4294967296", "PTCH3006 4:31", "seed must be at least 0 and at most 4294967295, got 4294967296"],
    [
      "sample seed=99999999999999999999",
      "PTCH3006 4:31",
      "seed must be at least 0 and at most 4294967295, got 99999999999999999999",
    ],
    [
      "sample top_k=99999999999999999999",
      "PTCH3006 4:32",
      "top_k must be at most 9007199254740991, got 99999999999999999999",
    ],
    ['stop ""', "PTCH3011 4:24", "the stop text is empty, so generation would stop after the first token"],
  ])("reports generate ... %s", (clause, expected, message) => {
    const source = experiment(`generate 1 from b ${clause}`);
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toBe(message);
  });

  it("accepts every sampling option at the edges of its range, in any order", () => {
    expectValid(experiment("generate 1 from b sample seed=0 top_p=1 top_k=1 temperature=0"));
    expectValid(experiment("generate 1 from b sample seed=4294967295 top_k=9007199254740991"));
  });

  it("reports every problem of a statement in one pass", () => {
    expect(located(experiment("patch resdi[L=-1, head=0, L=2, pos=new] from c into b[pos=0..3]"))).toEqual([
      "PTCH2004 4:7",
      "PTCH3006 4:15",
      "PTCH2006 4:27",
      "PTCH3109 4:32",
      "PTCH2001 4:46",
    ]);
  });
});
