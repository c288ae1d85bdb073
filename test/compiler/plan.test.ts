// The planner: checked programs to plan IR, steps, parameters and sweeps.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { modelRef } from "../../compiler/plan.js";
import { startOf } from "../support/ranges.js";
import {
  experiment,
  expectValid,
  header,
  interventionSteps,
  located,
  rangeOf,
  stepsOf,
  templateOf,
} from "../support/compile.js";

describe("plans", () => {
  it("builds the plan of a program, keys in a fixed order", () => {
    const source = `${header}generate 60 from story\nprompt other = "x"; generate 2 from other`;
    const plan = expectValid(source);
    expect(JSON.stringify(plan)).toBe(
      JSON.stringify({
        planVersion: 2,
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
      { kind: "generate", prompt: "p", maxNewTokens: 1, sampling: { kind: "sample", temperature: 1, seed: 1 } },
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
