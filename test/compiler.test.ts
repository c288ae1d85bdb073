import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bindPlan } from "../compiler/bind.js";
import { DIAGNOSTICS, createDiagnostic } from "../foundation/diagnostics.js";
import { closestName, editDistance } from "../compiler/edit-distance.js";
import { compile, formatDiagnostic } from "../compiler/index.js";
import { modelRef } from "../compiler/plan.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { Plan } from "../compiler/plan-ir.js";
import type { SourceRange } from "../foundation/source.js";
import { startOf } from "./support/ranges.js";

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
  if (at !== undefined) expect(startOf(found!.range)).toBe(at);
  return found!;
}

/** The diagnostic codes of compiling `source`, in order. */
const codes = (source: string): string[] => compile(source).diagnostics.map((diagnostic) => diagnostic.code);

const header = 'model "stories260K"\nprompt story = "Once"\n';

/** The range of the first occurrence of `snippet` in `source`, computed independently of the compiler. */
function rangeOf(source: string, snippet: string): SourceRange {
  const offset = source.indexOf(snippet);
  if (offset < 0) throw new Error(`${snippet} is not in the source`);
  const positionAt = (at: number) => {
    const lines = source.slice(0, at).split("\n");
    return { offset: at, line: lines.length, column: lines.at(-1)!.length + 1 };
  };
  return { start: positionAt(offset), end: positionAt(offset + snippet.length) };
}

describe("plans", () => {
  it("builds the plan of a program, keys in a fixed order", () => {
    const source = `${header}generate 60 from story\nprompt other = "x"; generate 2 from other`;
    const plan = expectValid(source);
    expect(JSON.stringify(plan)).toBe(
      JSON.stringify({
        planVersion: 1,
        model: { kind: "bundled", name: "stories260K" },
        params: [],
        sweeps: [],
        prompts: [
          { name: "story", text: "Once" },
          { name: "other", text: "x" },
        ],
        steps: [
          {
            kind: "generate",
            prompt: "story",
            maxNewTokens: 60,
            sampling: { kind: "greedy" },
            at: rangeOf(source, "generate 60 from story"),
          },
          {
            kind: "generate",
            prompt: "other",
            maxNewTokens: 2,
            sampling: { kind: "greedy" },
            at: rangeOf(source, "generate 2 from other"),
          },
        ],
      }),
    );
  });

  it("allows model and prompt statements anywhere", () => {
    expect(expectValid('generate 1 from p\nprompt p = ""\nmodel "m"').steps).toMatchObject([
      { kind: "generate", prompt: "p", maxNewTokens: 1, sampling: { kind: "greedy" } },
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
      "nothing to run: add a generate statement such as: generate 60 from <prompt name>, or export a capture with export let",
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
    expect(compile(source).diagnostics[0]!.message).toMatch(new RegExp(`^${message}, got -?[0-9]+$`));
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

/**
 * A program around `statements`, which start on line 4. Prompts a and b are declared and generated from, so
 * that a valid program has no diagnostics at all.
 */
const experiment = (...statements: string[]): string =>
  ['model "m"', 'prompt a = "A b c"', 'prompt b = "B c d"', ...statements, "generate 1 from a; generate 1 from b"].join(
    "\n",
  );

/** The steps of a valid program without their source locations, which have their own tests. */
function stepsOf(source: string): unknown[] {
  const { steps } = expectValid(source);
  return JSON.parse(JSON.stringify(steps, (key, value: unknown) => (key === "at" ? undefined : value))) as unknown[];
}

/** The steps of `experiment(...statements)` but the generates it adds. */
const interventionSteps = (...statements: string[]): unknown[] => stepsOf(experiment(...statements)).slice(0, -2);

/** Each diagnostic of compiling `source` as "CODE line:col". */
const located = (source: string): string[] =>
  compile(source).diagnostics.map((diagnostic) => `${diagnostic.code} ${startOf(diagnostic.range)}`);

describe("intervention plans", () => {
  it("plans a patch, its site selectors applying to both sides", () => {
    expect(interventionSteps("patch resid[L=1, pos=-2] from a into b")).toEqual([
      {
        kind: "patch",
        sourcePrompt: "a",
        source: { site: "resid", layer: 1, positions: { kind: "index", index: -2 } },
        prompt: "b",
        site: { site: "resid", layer: 1, positions: { kind: "index", index: -2 } },
      },
    ]);
  });

  it("lets the selectors on each side of a patch override the site's", () => {
    expect(interventionSteps("patch z[L=1, head=2] from a[L=2, pos=-2] into b[head=0, pos=1]")).toEqual([
      {
        kind: "patch",
        sourcePrompt: "a",
        source: { site: "z", layer: 2, head: 2, positions: { kind: "index", index: -2 } },
        prompt: "b",
        site: { site: "z", layer: 1, head: 0, positions: { kind: "index", index: 1 } },
      },
    ]);
  });

  it("patches a prompt from itself", () => {
    expect(interventionSteps("patch resid[L=1] from b[pos=0] into b[pos=2]")).toMatchObject([
      { kind: "patch", sourcePrompt: "b", prompt: "b" },
    ]);
  });

  it("plans captures, exported ones for output", () => {
    expect(
      interventionSteps(
        "let x = resid[L=2, pos=-1] of a",
        "export let y = mlp_out[L=0] of b",
        "add x to resid[L=1] in b",
      ),
    ).toEqual([
      {
        kind: "capture",
        name: "x",
        prompt: "a",
        site: { site: "resid", layer: 2, positions: { kind: "index", index: -1 } },
        output: false,
      },
      {
        kind: "capture",
        name: "y",
        prompt: "b",
        site: { site: "mlp_out", layer: 0, positions: { kind: "all" } },
        output: true,
      },
      {
        kind: "add",
        prompt: "b",
        site: { site: "resid", layer: 1, positions: { kind: "all" } },
        value: { kind: "capture", name: "x" },
      },
    ]);
  });

  it("runs a string-literal source as a prompt named by the literal, once however often it is read", () => {
    const plan = expectValid(
      experiment(
        'export let lily = resid[L=2, pos=-1] of "Lily"',
        'add resid[L=2, pos=-1] of "Lily" - resid[L=2, pos=-1] of "say \\"hi\\"" to resid[L=2, pos=-1] in b',
      ),
    );
    expect(plan.prompts).toEqual([
      { name: "a", text: "A b c" },
      { name: "b", text: "B c d" },
      { name: '"Lily"', text: "Lily" },
      { name: '"say \\"hi\\""', text: 'say "hi"' },
    ]);
    expect(plan.steps[0]).toMatchObject({ kind: "capture", prompt: '"Lily"' });
    expect(plan.steps[1]).toMatchObject({
      value: { left: { kind: "activation", prompt: '"Lily"' }, right: { prompt: '"say \\"hi\\""' } },
    });
  });

  it("plans add, set, scale, zero and mean on a prompt", () => {
    const site = { site: "resid", layer: 1, positions: { kind: "index", index: 0 } };
    expect(
      interventionSteps(
        "add 1 to resid[L=1, pos=0] in b",
        "set resid[L=1, pos=0] in b to 2",
        "scale resid[L=1, pos=0] in b by 0.5",
        "zero resid[L=1, pos=0] in b",
        "mean resid[L=1, pos=0] in b over a, a",
      ),
    ).toEqual([
      { kind: "add", prompt: "b", site, value: { kind: "number", value: 1 } },
      { kind: "set", prompt: "b", site, value: { kind: "number", value: 2 } },
      { kind: "scale", prompt: "b", site, factor: { kind: "number", value: 0.5 } },
      { kind: "zero", prompt: "b", site },
      { kind: "mean", prompt: "b", site, over: ["a", "a"] },
    ]);
  });

  it.each([
    ["resid[L=2]", "resid", 2],
    ["resid_pre[L=2]", "resid", 2],
    ["resid_post[L=2]", "resid", 3],
    ["attn_out[L=2]", "attn_out", 2],
    ["resid_mid[L=2]", "resid_mid", 2],
    ["mlp_out[L=2]", "mlp_out", 2],
    ["mlp_hidden[L=2]", "mlp_hidden", 2],
    ["z[L=2]", "z", 2],
    ["q[L=2]", "q", 2],
    ["k[L=2]", "k", 2],
    ["v[L=2]", "v", 2],
  ])("plans %s as site %s at layer %i", (written, site, layer) => {
    expect(interventionSteps(`zero ${written} in b`)).toEqual([
      { kind: "zero", prompt: "b", site: { site, layer, positions: { kind: "all" } } },
    ]);
  });

  it("resolves an alias on each side of a patch with that side's layer", () => {
    expect(interventionSteps("patch resid_post[L=0] from a[L=1, pos=0] into b[pos=0]")).toMatchObject([
      { source: { site: "resid", layer: 2 }, site: { site: "resid", layer: 1 } },
    ]);
  });

  it.each([
    ["3", { kind: "index", index: 3 }],
    ["-1", { kind: "index", index: -1 }],
    ["1..4", { kind: "range", from: 1, to: 4 }],
    ["-3..-1", { kind: "range", from: -3, to: -1 }],
    ["2..-1", { kind: "range", from: 2, to: -1 }],
    ['"c d"', { kind: "text", text: "c d" }],
    ["prompt", { kind: "prompt" }],
    ["new", { kind: "generated" }],
    ["*", { kind: "all" }],
  ])("plans pos=%s as %j", (written, positions) => {
    expect(interventionSteps(`zero resid[L=0, pos=${written}] in b`)).toEqual([
      { kind: "zero", prompt: "b", site: { site: "resid", layer: 0, positions } },
    ]);
  });

  it("selects every head without head=, and one with it", () => {
    expect(interventionSteps("zero z[L=0] in b", "zero k[L=0, head=1] in b")).toMatchObject([
      { site: { site: "z", layer: 0, positions: { kind: "all" } } },
      { site: { site: "k", layer: 0, head: 1, positions: { kind: "all" } } },
    ]);
    expect(interventionSteps("zero z[L=0] in b")[0]).not.toHaveProperty("site.head");
  });

  it.each([
    [
      "1 + 2 * 3",
      {
        kind: "binary",
        op: "+",
        left: { kind: "number", value: 1 },
        right: { kind: "binary", op: "*", left: { kind: "number", value: 2 }, right: { kind: "number", value: 3 } },
      },
    ],
    [
      "(1 + 2) / x",
      {
        kind: "binary",
        op: "/",
        left: { kind: "binary", op: "+", left: { kind: "number", value: 1 }, right: { kind: "number", value: 2 } },
        right: { kind: "capture", name: "x" },
      },
    ],
    ["-0.5", { kind: "number", value: -0.5 }],
    ["-x", { kind: "negate", operand: { kind: "capture", name: "x" } }],
    [
      "1e-3 * -(x - 2)",
      {
        kind: "binary",
        op: "*",
        left: { kind: "number", value: 0.001 },
        right: {
          kind: "negate",
          operand: {
            kind: "binary",
            op: "-",
            left: { kind: "capture", name: "x" },
            right: { kind: "number", value: 2 },
          },
        },
      },
    ],
    [
      "q[L=0, head=1, pos=-1] of a",
      {
        kind: "activation",
        prompt: "a",
        site: { site: "q", layer: 0, head: 1, positions: { kind: "index", index: -1 } },
      },
    ],
  ])("plans the value %s", (value, expected) => {
    const [, add] = interventionSteps(
      "export let x = resid[L=0, pos=0] of a",
      `add ${value} to resid[L=0, pos=0] in b`,
    );
    expect(add).toEqual({
      kind: "add",
      prompt: "b",
      site: { site: "resid", layer: 0, positions: { kind: "index", index: 0 } },
      value: expected,
    });
  });

  it("plans greedy decoding unless sampling is asked for, with defaults for the options left out", () => {
    expect(
      stepsOf(
        'model "m"; prompt p = ""\ngenerate 1 from p\ngenerate 1 from p sample\ngenerate 1 from p sample seed=7 top_p=0.95 top_k=40 temperature=0.8 stop "."\ngenerate 1 from p stop "\\n"',
      ),
    ).toEqual([
      { kind: "generate", prompt: "p", maxNewTokens: 1, sampling: { kind: "greedy" } },
      { kind: "generate", prompt: "p", maxNewTokens: 1, sampling: { kind: "sample", temperature: 1, seed: 0 } },
      {
        kind: "generate",
        prompt: "p",
        maxNewTokens: 1,
        sampling: { kind: "sample", temperature: 0.8, topK: 40, topP: 0.95, seed: 7 },
        stop: ".",
      },
      { kind: "generate", prompt: "p", maxNewTokens: 1, sampling: { kind: "greedy" }, stop: "\n" },
    ]);
  });

  it("keeps statement order, so that each step sees the interventions written before it", () => {
    const steps = interventionSteps(
      "zero resid[L=0, pos=0] in b",
      "export let x = resid[L=1, pos=0] of b",
      "scale resid[L=0, pos=0] in b by x",
    );
    expect(steps.map((step) => (step as { kind: string }).kind)).toEqual(["zero", "capture", "scale"]);
  });

  it("records where each part of a selection is written, on the site or on the side that overrides it", () => {
    const source = experiment("patch z[L=1, head=0, pos=-1] from a[L=2] into b[pos=0]");
    const [patch] = expectValid(source).steps;
    const at = (snippet: string) => rangeOf(source, snippet);
    expect(patch).toMatchObject({
      source: { at: { site: at("z"), layer: at("L=2"), head: at("head=0"), positions: at("pos=-1") } },
      site: { at: { site: at("z"), layer: at("L=1"), head: at("head=0"), positions: at("pos=0") } },
    });
  });

  it("leaves out the location of a part no selector sets", () => {
    const source = experiment("zero resid[L=1] in b");
    const [zero] = expectValid(source).steps;
    expect(zero).toMatchObject({ site: { at: { site: rangeOf(source, "resid"), layer: rangeOf(source, "L=1") } } });
    expect(zero).not.toHaveProperty("site.at.positions");
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

/** The steps and parameters of a valid program, without source locations. */
function templateOf(source: string): Pick<Plan, "params" | "sweeps" | "prompts"> & { steps: unknown[] } {
  const { params, sweeps, prompts } = expectValid(source);
  return { params, sweeps, prompts, steps: stepsOf(source) };
}

describe("parameter plans", () => {
  it("declares parameters and sweeps in source order, each typed by its values", () => {
    const { params, sweeps } = templateOf(
      experiment(
        "param l = 3",
        "param alpha = 0.5",
        'param who = "Lily"',
        "param back = -2",
        "sweep layer in 0..2",
        "sweep factor in [1, 2.5, -1]",
        "sweep whole in [2, 3.0e0]",
        'sweep name in ["Lily", "Tom"]',
        "sweep down in -3..-1",
        "zero z[L=l, head=layer, pos=back] in a",
        "scale z[L=1, pos=down..-1] in a by alpha * factor",
        "zero resid[L=2, pos=name] in a",
        "scale resid[L=0, pos=who] in a by whole",
      ),
    );
    expect(params).toEqual([
      { name: "l", type: "int", default: 3 },
      { name: "alpha", type: "float", default: 0.5 },
      { name: "who", type: "string", default: "Lily" },
      { name: "back", type: "int", default: -2 },
    ]);
    expect(sweeps).toEqual([
      { name: "layer", type: "int", values: [0, 1, 2] },
      { name: "factor", type: "float", values: [1, 2.5, -1] },
      { name: "whole", type: "float", values: [2, 3] },
      { name: "name", type: "string", values: ["Lily", "Tom"] },
      { name: "down", type: "int", values: [-3, -2, -1] },
    ]);
  });

  it("writes a reference wherever a parameter stands for a literal", () => {
    const plan = templateOf(
      [
        'model "m"',
        "param l = 1; param h = 0; param p = -1; param n = 5; param t = 0.8; param k = 40; param s = 3",
        'param who = "Lily"; param end = "."; param alpha = 0.5',
        "prompt a = who",
        "patch z[L=l, head=h, pos=p] from a into a[pos=p..s]",
        "add alpha * resid[L=l, pos=0..s] of a - -alpha to resid[L=1, pos=who] in a",
        "generate n from a sample temperature=t top_k=k seed=s stop end",
      ].join("\n"),
    );
    const ref = (param: string) => ({ param });
    expect(plan.prompts).toEqual([{ name: "a", text: ref("who") }]);
    expect(plan.steps).toEqual([
      {
        kind: "patch",
        sourcePrompt: "a",
        source: { site: "z", layer: ref("l"), head: ref("h"), positions: { kind: "index", index: ref("p") } },
        prompt: "a",
        site: {
          site: "z",
          layer: ref("l"),
          head: ref("h"),
          positions: { kind: "range", from: ref("p"), to: ref("s") },
        },
      },
      {
        kind: "add",
        prompt: "a",
        site: { site: "resid", layer: 1, positions: { kind: "text", text: ref("who") } },
        value: {
          kind: "binary",
          op: "-",
          left: {
            kind: "binary",
            op: "*",
            left: { kind: "number", value: ref("alpha") },
            right: {
              kind: "activation",
              prompt: "a",
              site: { site: "resid", layer: ref("l"), positions: { kind: "range", from: 0, to: ref("s") } },
            },
          },
          right: { kind: "negate", operand: { kind: "number", value: ref("alpha") } },
        },
      },
      {
        kind: "generate",
        prompt: "a",
        maxNewTokens: ref("n"),
        sampling: { kind: "sample", temperature: ref("t"), topK: ref("k"), seed: ref("s") },
        stop: ref("end"),
      },
    ]);
  });

  it("lets a parameter be used above its declaration, like a prompt", () => {
    expect(templateOf(experiment("zero resid[L=l] in a", "param l = 2")).steps[0]).toMatchObject({
      site: { layer: { param: "l" } },
    });
  });

  it("keeps a repeated sweep value, warning that its runs repeat", () => {
    const source = experiment("sweep l in [1, 2, 1]", "zero resid[L=l] in a");
    const { plan, diagnostics } = compile(source);
    expect(plan?.sweeps).toEqual([{ name: "l", type: "int", values: [1, 2, 1] }]);
    expect(diagnostics).toMatchObject([
      { code: "PTCH3017", severity: "warning", message: "1 is already in the sweep, so its runs repeat" },
    ]);
    expect(located(source)).toEqual(["PTCH3017 4:19"]);
    expect(diagnostics[0]!.related?.map((related) => startOf(related.range))).toEqual(["4:13"]);
  });

  it.each([
    ["param l = 1", "PTCH2017 4:7", "parameter 'l' is never used"],
    ["sweep l in 0..1", "PTCH2017 4:7", "sweep variable 'l' is never used"],
  ])("warns about an unused %s without stopping compilation", (statement, expected, message) => {
    const { plan, diagnostics } = compile(experiment(statement));
    expect(plan).toBeDefined();
    expect(located(experiment(statement))).toEqual([expected]);
    expect(diagnostics[0]).toMatchObject({ severity: "warning", message });
  });

  it("counts a parameter suggested for a misspelt name as used", () => {
    expect(located(experiment("param layer = 1", "zero resid[L=layr] in a"))).toEqual(["PTCH2014 5:14"]);
    expect(located(experiment("param alpha = 1", "add alhpa to resid[L=0] in a"))).toEqual(["PTCH2007 5:5"]);
  });
});

describe("parameter checks", () => {
  it.each([
    ["a name that no parameter has", ["zero resid[L=l] in b"], "PTCH2014 4:14", "no parameter named 'l'"],
    [
      "a misspelt parameter",
      ["param layer = 1", "zero resid[L=layr] in b"],
      "PTCH2014 5:14",
      "no parameter named 'layr'; did you mean 'layer'?",
    ],
    [
      "a prompt where a parameter belongs",
      ["zero resid[L=0, pos=a] in b"],
      "PTCH2014 4:21",
      "no parameter named 'a'; 'a' is a prompt, not a parameter",
    ],
    [
      "a capture where a parameter belongs",
      ["export let x = resid[L=0] of a", "zero resid[L=x] in b"],
      "PTCH2014 5:14",
      "no parameter named 'x'; 'x' is a capture, not a parameter",
    ],
    ["an undefined generate count", ["generate n from a"], "PTCH2014 4:10", "no parameter named 'n'"],
    ["an undefined sampling option", ["generate 1 from a sample seed=s"], "PTCH2014 4:31", "no parameter named 's'"],
    ["an undefined stop text", ["generate 1 from a stop s"], "PTCH2014 4:24", "no parameter named 's'"],
    ["an undefined prompt text", ["prompt c = who", "generate 1 from c"], "PTCH2014 4:12", "no parameter named 'who'"],
    [
      "a misspelt name in a value, suggesting a parameter",
      ["param alpha = 0.5", "add alhpa to resid[L=0] in b"],
      "PTCH2007 5:5",
      "no capture named 'alhpa'; did you mean 'alpha'?",
    ],
    [
      "a parameter where a prompt belongs",
      ["param n = 1", "generate n from n"],
      "PTCH2001 5:17",
      "no prompt named 'n'; 'n' is a parameter, not a prompt",
    ],
    [
      "a name declared twice",
      ["param l = 1", "sweep l in 0..1", "zero resid[L=l] in b"],
      "PTCH2015 5:7",
      "'l' is already declared",
    ],
    [
      "a parameter named like a prompt",
      ["param a = 1"],
      "PTCH2016 4:7",
      "'a' is already the name of a prompt; give the parameter another name",
    ],
    [
      "a sweep variable named like a capture",
      ["export let x = resid[L=0] of a", "sweep x in 0..1"],
      "PTCH2016 5:7",
      "'x' is already the name of a capture; give the sweep variable another name",
    ],
    [
      "a float parameter as a layer",
      ["param x = 1.5", "zero resid[L=x] in b"],
      "PTCH3012 5:14",
      "'x' is a float parameter, but L must be an integer",
    ],
    [
      "a sweep of ints and floats as a head",
      ["sweep x in [1, 2.5]", "zero z[L=0, head=x] in b"],
      "PTCH3012 5:18",
      "'x' is a float sweep variable, but head must be an integer",
    ],
    [
      "a float parameter as a position",
      ["param x = 1.5", "zero resid[L=0, pos=x] in b"],
      "PTCH3012 5:21",
      "'x' is a float parameter, but pos must be an integer or a string",
    ],
    [
      "a string parameter as a span's end",
      ['param x = "b"', "zero resid[L=0, pos=0..x] in b"],
      "PTCH3012 5:24",
      "'x' is a string parameter, but pos must be an integer",
    ],
    [
      "a string sweep variable in a value",
      ['sweep s in ["u", "v"]', "scale resid[L=0] in b by s"],
      "PTCH3012 5:26",
      "'s' is a string sweep variable, but a value must be a number",
    ],
    [
      "a float parameter as the generate count",
      ["param n = 2.0", "generate n from b"],
      "PTCH3012 5:10",
      "'n' is a float parameter, but the generate count must be an integer",
    ],
    [
      "a float parameter as top_k",
      ["param k = 4e1", "generate 1 from b sample top_k=k"],
      "PTCH3012 5:32",
      "'k' is a float parameter, but top_k must be an integer",
    ],
    [
      "a string parameter as the temperature",
      ['param t = "hot"', "generate 1 from b sample temperature=t"],
      "PTCH3012 5:38",
      "'t' is a string parameter, but temperature must be a number",
    ],
    [
      "an int parameter as the stop text",
      ["param s = 1", "generate 1 from b stop s"],
      "PTCH3012 5:24",
      "'s' is an int parameter, but the stop text must be a string",
    ],
    [
      "an int parameter as a prompt's text",
      ["param s = 1", "prompt c = s", "generate 1 from c"],
      "PTCH3012 5:12",
      "'s' is an int parameter, but a prompt's text must be a string",
    ],
    [
      "a parameter as the layer of resid_post",
      ["param l = 1", "zero resid_post[L=l] in b"],
      "PTCH3013 5:19",
      "the layer of resid_post can't be a parameter: resid_post[L=n] is resid[L=n+1], which a plan can't express; select resid[L=…] instead",
    ],
    [
      "a sweep range running backwards",
      ["sweep l in 3..1", "zero resid[L=l] in b"],
      "PTCH3014 4:12",
      "sweep range 3..1 runs backwards, so it has no values",
    ],
    [
      "a sweep range with a decimal end",
      ["sweep l in 0..2.5", "zero resid[L=l] in b"],
      "PTCH3005 4:15",
      "a sweep range's end must be an integer, got 2.5",
    ],
    ["an empty sweep", ["sweep l in []", "zero resid[L=l] in b"], "PTCH3015 4:12", "a sweep needs at least one value"],
    [
      "a sweep of numbers and strings",
      ['sweep l in [1, "2"]', "zero resid[L=l] in b"],
      "PTCH3016 4:16",
      `a sweep's values must be all numbers or all strings: "2" is a string, but 1 is a number`,
    ],
    [
      "a sweep range too large",
      ["sweep l in 0..10000", "zero resid[L=l] in b"],
      "PTCH3018 4:12",
      "a sweep of 10001 values is too large; a sweep has at most 10000",
    ],
    [
      "a default too large",
      ["param x = 1e999", "scale resid[L=0] in b by x"],
      "PTCH3006 4:11",
      "a parameter's default must be finite as a 32-bit float (at most about 3.4e38 in size), got 1e999",
    ],
    [
      "a sweep value too large",
      ["sweep x in [1, -1e999]", "scale resid[L=0] in b by x"],
      "PTCH3006 4:16",
      "a sweep value must be finite as a 32-bit float (at most about 3.4e38 in size), got -1e999",
    ],
    [
      "an int default that is no safe integer",
      ["param x = 99999999999999999999", "scale resid[L=0] in b by x"],
      "PTCH3006 4:11",
      "a parameter's default must be at most 9007199254740991, got 99999999999999999999",
    ],
    [
      "an int sweep value that is no safe integer",
      ["sweep x in [1, -9007199254740992]", "zero resid[L=0, pos=x] in b"],
      "PTCH3006 4:16",
      "a sweep value must be at least -9007199254740991, got -9007199254740992",
    ],
    [
      "a sweep range's end that is no safe integer",
      ["sweep x in 0..99999999999999999999", "zero resid[L=0, pos=x] in b"],
      "PTCH3006 4:15",
      "a sweep range's end must be at most 9007199254740991, got 99999999999999999999",
    ],
    [
      "a grid of sweeps too large, at the sweep that takes it over",
      [
        "sweep x in 0..99",
        "sweep y in 1..100",
        "sweep z in [1, 2]",
        "zero z[L=x, head=y] in b",
        "scale resid[L=0] in b by z",
      ],
      "PTCH3019 6:1",
      "with this sweep, the sweeps make 20000 runs; the sweeps of a file make at most 10000",
    ],
  ])("reports %s", (_, statements, expected, message) => {
    const source = experiment(...statements);
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toBe(message);
  });

  it("points a repeated declaration and a taken name at the first", () => {
    const repeated = expectError(experiment("param l = 1", "param l = 2", "zero resid[L=l] in b"), "PTCH2015");
    expect(repeated.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
      ["'l' is first declared here", "4:7"],
    ]);
    const taken = expectError(experiment("sweep b in 0..1"), "PTCH2016");
    expect(taken.related?.map((related) => [related.message, startOf(related.range)])).toEqual([
      ["the prompt 'b' is defined here", "3:8"],
    ]);
  });

  it("reports a grid of sweeps too large once, without binding it", () => {
    const sweeps = ["sweep x in 0..9999", "sweep y in 0..9999", "sweep z in 0..9999"];
    const source = experiment(...sweeps, "zero resid[L=0, pos=x..y] in b", "scale resid[L=0] in b by z");
    expect(located(source)).toEqual(["PTCH3019 5:1"]);
  });

  it.each([
    ["a grid of the largest size", ["sweep x in 1..100", "sweep y in 1..100"]],
    [
      "a float sweep with an integer beyond the safe ones",
      ["sweep x in [0.5, 99999999999999999999]", "sweep y in [1]"],
    ],
  ])("accepts %s", (_, sweeps) => {
    expectValid(experiment(...sweeps, "scale resid[L=0] in b by x * y"));
  });

  it("checks a parameter of the wrong type where it is used, not its values there", () => {
    expect(located(experiment("param x = -1.5", "zero resid[L=x] in b"))).toEqual(["PTCH3012 5:14"]);
    expect(located(experiment("param x = 2.5", "param t = -1", "generate x from b sample temperature=t"))).toEqual([
      "PTCH3012 6:10",
      "PTCH3006 6:38",
    ]);
  });
});

describe("checks of the values parameters take", () => {
  it.each([
    [
      "a negative layer in a sweep",
      ["sweep l in -1..3", "patch resid[L=l, pos=-2] from a into b"],
      "PTCH3006 5:15",
      "L must be at least 0, got -1 (when l = -1)",
    ],
    [
      "the first of several bad values, once",
      ["sweep l in -3..3", "zero resid[L=l] in b"],
      "PTCH3006 5:14",
      "L must be at least 0, got -3 (when l = -3)",
    ],
    [
      "a negative head by default",
      ["param h = -2", "zero z[L=0, head=h] in b"],
      "PTCH3006 5:18",
      "head must be at least 0, got -2 (when h = -2)",
    ],
    [
      "a temperature out of range by default",
      ["param t = -1", "generate 1 from b sample temperature=t"],
      "PTCH3006 5:38",
      "temperature must be at least 0, got -1 (when t = -1)",
    ],
    [
      "a top_p out of range in a sweep",
      ["sweep p in [0.5, 1.5]", "generate 1 from b sample top_p=p"],
      "PTCH3006 5:32",
      "top_p must be greater than 0 and at most 1, got 1.5 (when p = 1.5)",
    ],
    [
      "a generate count below 1 in a sweep",
      ["sweep n in [0, 5]", "generate n from b"],
      "PTCH3003 5:10",
      "generate count must be at least 1, got 0 (when n = 0)",
    ],
    [
      "an empty stop text in a sweep",
      ['sweep s in ["", "."]', "generate 1 from b stop s"],
      "PTCH3011 5:24",
      'the stop text is empty, so generation would stop after the first token (when s = "")',
    ],
    [
      "a span running backwards for some values",
      ["sweep i in [0, 3]", "sweep j in [1, 4]", "zero resid[L=0, pos=i..j] in b"],
      "PTCH3104 6:21",
      "position range 3..1 runs backwards (when i = 3, j = 1)",
    ],
    [
      "a span running backwards, naming only the parameters in it",
      ["sweep l in 0..1", "sweep p in [1, 5]", "zero resid[L=l, pos=p..2] in b"],
      "PTCH3104 6:21",
      "position range 5..2 runs backwards (when p = 5)",
    ],
    [
      "patch spans of unequal length for some values",
      ["sweep n in 1..2", "patch resid[L=1] from a[pos=0..n] into b[pos=0..1]"],
      "PTCH3106 5:42",
      "spans of unequal length: 3 positions against 2 (when n = 2)",
    ],
    [
      "a span patched into generated positions",
      ["param n = 2", "patch resid[L=1] from a[pos=0..n] into b[pos=new]"],
      "PTCH3108 5:42",
      expect.stringMatching(/^generated positions take a single vector, but the value has 3; .* \(when n = 2\)$/),
    ],
    [
      "a division by a parameter that is zero in a sweep",
      ["sweep alpha in [1, 0]", "add 1 / alpha * resid[L=1] of a to resid[L=1] in b"],
      "PTCH3020 5:5",
      "this computes to Infinity; a value must be finite as a 32-bit float (at most about 3.4e38 in size) (when alpha = 0)",
    ],
    [
      "an overflow from a parameter's default",
      ["param big = 1e30", "scale resid[L=1] in b by big * big"],
      "PTCH3020 5:26",
      "this computes to 1.0000000000000001e+60; a value must be finite as a 32-bit float (at most about 3.4e38 in size) (when big = 1e+30)",
    ],
    [
      "an empty position text by default",
      ['param who = ""', "zero resid[L=1, pos=who] in b"],
      "PTCH3021 5:21",
      'an empty text selects no tokens; give the text to select, such as pos="Lily" (when who = "")',
    ],
  ])("reports %s", (_, statements, expected, message) => {
    const source = experiment(...statements);
    expect(located(source)).toEqual([expected]);
    expect(compile(source).diagnostics[0]!.message).toEqual(message);
  });

  it.each([
    ["every value of a sweep in range", ["sweep l in 0..3", "zero resid[L=l] in b"]],
    ["a span whose ends move together", ["sweep s in 0..2", "patch resid[L=1] from a[pos=s..s] into b[pos=s..s]"]],
    [
      "spans whose lengths agree for every value",
      ["sweep n in 1..2", "patch resid[L=1] from a[pos=0..n] into b[pos=0..n]"],
    ],
    ["a negative default where any integer goes", ["param p = -2", "zero resid[L=0, pos=p] in b"]],
    ["a string parameter as a position", ['param who = "c"', "zero resid[L=0, pos=who] in b"]],
    ["an int parameter as a float", ["param t = 1", "generate 1 from b sample temperature=t top_p=t"]],
    ["a division by a parameter that is never zero", ["sweep d in [1, 2]", "scale resid[L=1] in b by 1 / d"]],
    ["a value computed from finite parts", ["param big = 1e30", "scale resid[L=1] in b by 1 / (big * 10) - -big"]],
  ])("accepts %s", (_, statements) => {
    expectValid(experiment(...statements));
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
