import { describe, expect, it } from "vitest";
import { bindPlan, ParamError, parseParamValue } from "../compiler/bind.js";
import { expectValid, withoutLocations } from "./support/compile.js";
import type { Plan } from "../compiler/plan-ir.js";

/** The plan of a program that must compile without diagnostics. */
const planOf = (...lines: string[]): Plan => expectValid(['model "m"', ...lines].join("\n"));

/** Whether any `{ param }` reference is left anywhere in `node`. */
function hasReference(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasReference);
  if (node === null || typeof node !== "object") return false;
  return "param" in node || Object.values(node).some(hasReference);
}

const grid = planOf(
  "param n = 3",
  "sweep l in 0..1",
  'sweep who in ["Lily", "Tom"]',
  "prompt p = who",
  "zero resid[L=l] in p",
  "generate n from p",
);

describe("bindPlan", () => {
  it("binds a plan without parameters to itself, once", () => {
    const plan = planOf('prompt p = "x"', "generate 2 from p");
    const [bound, ...rest] = bindPlan(plan);
    expect(rest).toEqual([]);
    expect(bound).toEqual({
      planVersion: plan.planVersion,
      model: plan.model,
      bindings: {},
      prompts: plan.prompts,
      steps: plan.steps,
    });
  });

  it("runs every point of the sweep grid, the first sweep outermost, parameters at their defaults", () => {
    expect(bindPlan(grid).map((bound) => bound.bindings)).toEqual([
      { n: 3, l: 0, who: "Lily" },
      { n: 3, l: 0, who: "Tom" },
      { n: 3, l: 1, who: "Lily" },
      { n: 3, l: 1, who: "Tom" },
    ]);
  });

  it("substitutes each point's values", () => {
    expect(bindPlan(grid).map((bound) => [bound.prompts[0]!.text, bound.steps[0]])).toMatchObject([
      ["Lily", { kind: "zero", site: { layer: 0 } }],
      ["Tom", { kind: "zero", site: { layer: 0 } }],
      ["Lily", { kind: "zero", site: { layer: 1 } }],
      ["Tom", { kind: "zero", site: { layer: 1 } }],
    ]);
  });

  it("sets a parameter, and fixes a sweep variable to one value, from given values", () => {
    const bound = bindPlan(grid, { n: 7, who: "Ann" });
    expect(bound.map((point) => point.bindings)).toEqual([
      { n: 7, l: 0, who: "Ann" },
      { n: 7, l: 1, who: "Ann" },
    ]);
    expect(bound[0]!.steps[1]).toMatchObject({ kind: "generate", maxNewTokens: 7 });
  });

  it("replaces every reference: selectors, positions, values, prompt texts, counts, sampling and stop texts", () => {
    const plan = planOf(
      "param l = 1; param h = 0; param p = -1; param s = 3; param n = 5",
      "param t = 0.8; param k = 40; param q = 0.9; param alpha = 0.5",
      'param who = "Lily"; param end = "."',
      "prompt a = who",
      "patch z[L=l, head=h, pos=p] from a into a[pos=p..s]",
      "add alpha * resid[L=l, pos=0..s] of a - -alpha to resid[L=1, pos=who] in a",
      "generate n from a sample temperature=t top_k=k top_p=q seed=s stop end",
    );
    expect(hasReference(plan)).toBe(true);
    const [bound] = bindPlan(plan);
    expect(hasReference(bound)).toBe(false);
    expect(withoutLocations(bound!)).toEqual({
      planVersion: 2,
      model: { kind: "bundled", name: "m" },
      bindings: { l: 1, h: 0, p: -1, s: 3, n: 5, t: 0.8, k: 40, q: 0.9, alpha: 0.5, who: "Lily", end: "." },
      prompts: [{ name: "a", text: "Lily" }],
      steps: [
        {
          kind: "patch",
          sourcePrompt: "a",
          source: { site: "z", layer: 1, head: 0, positions: { kind: "index", index: -1 } },
          prompt: "a",
          site: { site: "z", layer: 1, head: 0, positions: { kind: "range", from: -1, to: 3 } },
        },
        {
          kind: "add",
          prompt: "a",
          site: { site: "resid", layer: 1, positions: { kind: "text", text: "Lily" } },
          value: {
            kind: "binary",
            op: "-",
            left: {
              kind: "binary",
              op: "*",
              left: { kind: "number", value: 0.5 },
              right: {
                kind: "activation",
                prompt: "a",
                site: { site: "resid", layer: 1, positions: { kind: "range", from: 0, to: 3 } },
              },
            },
            right: { kind: "negate", operand: { kind: "number", value: 0.5 } },
          },
        },
        {
          kind: "generate",
          prompt: "a",
          maxNewTokens: 5,
          sampling: { kind: "sample", temperature: 0.8, topK: 40, topP: 0.9, seed: 3 },
          stop: ".",
        },
      ],
    });
  });

  it.each([
    [{ x: 1 }, "no parameter named 'x'; the parameters are n, l, who"],
    [{ n: 2.5 }, "parameter 'n' is an int, got 2.5"],
    [{ n: "3" }, `parameter 'n' is an int, got "3"`],
    [{ n: Number.POSITIVE_INFINITY }, "parameter 'n' is an int, got null"],
    [{ who: 1 }, "parameter 'who' is a string, got 1"],
    [{ n: 2 ** 53 }, "parameter 'n' must be at most 9007199254740991, got 9007199254740992"],
    [{ l: -1e20 }, "parameter 'l' must be at least -9007199254740991, got -100000000000000000000"],
  ])("rejects %j", (given, message) => {
    expect(() => bindPlan(grid, given)).toThrow(new ParamError(message));
  });

  it("takes a value of undefined as not given, like an optional property left out", () => {
    expect(bindPlan(grid, { n: undefined, who: undefined, x: undefined })).toEqual(bindPlan(grid));
  });

  it("refuses a grid of more points than the compiler allows, counting a sweep fixed by a given value once", () => {
    const sweep = (name: string, count: number) => ({
      name,
      type: "int" as const,
      values: Array.from({ length: count }, (_, i) => i),
    });
    const large: Plan = { ...grid, params: [], sweeps: [sweep("x", 101), sweep("y", 100)], prompts: [], steps: [] };
    expect(() => bindPlan(large)).toThrow(
      new ParamError("the sweeps make 10100 runs; the sweeps of a plan make at most 10000"),
    );
    expect(bindPlan(large, { x: 3 })).toHaveLength(100);
  });

  it.each([
    ["the generate count", "generate n from p", { n: 0 }, "generate count must be at least 1, got n = 0"],
    [
      "the temperature",
      "generate 1 from p sample temperature=n",
      { n: -1 },
      "temperature must be at least 0, got n = -1",
    ],
    ["top_k", "generate 1 from p sample top_k=n", { n: 0 }, "top_k must be at least 1, got n = 0"],
    ["top_p", "generate 1 from p sample top_p=n", { n: 2 }, "top_p must be greater than 0 and at most 1, got n = 2"],
    [
      "the seed",
      "generate 1 from p sample seed=n",
      { n: -1 },
      "seed must be at least 0 and at most 4294967295, got n = -1",
    ],
    [
      "a seed beyond 32 bits",
      "generate 1 from p sample seed=n",
      { n: 2 ** 32 },
      "seed must be at least 0 and at most 4294967295, got n = 4294967296",
    ],
    ["the stop text", "generate 1 from p stop s", { s: "" }, `the stop text must not be empty, got s = ""`],
    ["a position text", "zero resid[L=0, pos=s] in p", { s: "" }, `a pos text must not be empty, got s = ""`],
    [
      "a position text read in a value",
      "add resid[L=0, pos=s] of p to resid[L=1, pos=0] in p",
      { s: "" },
      `a pos text must not be empty, got s = ""`,
    ],
  ])("checks a value given for %s where it is used", (_, statement, given, message) => {
    const plan = planOf(
      "param n = 1",
      'param s = "."',
      "prompt p = s",
      "scale resid[L=0] in p by n",
      statement,
      "generate 1 from p",
    );
    expect(() => bindPlan(plan, given)).toThrow(new ParamError(message));
  });

  it("rejects a reference to a parameter the plan does not declare", () => {
    const plan: Plan = { ...grid, params: [] };
    expect(() => bindPlan(plan)).toThrow(new ParamError("the plan uses parameter 'n', which it does not declare"));
  });
});

describe("parseParamValue", () => {
  const plan = planOf(
    'param n = 3; param alpha = 0.5; param who = "Lily"',
    "sweep l in 0..1",
    "prompt p = who",
    "zero resid[L=l] in p",
    "scale resid[L=0] in p by alpha",
    "generate n from p",
  );

  it.each([
    ["n", "7", 7],
    ["n", "-2", -2],
    ["l", "5", 5],
    ["alpha", "2", 2],
    ["alpha", "-0.25", -0.25],
    ["alpha", "1e-3", 0.001],
    ["who", "Tom", "Tom"],
    ["who", " spaced ", " spaced "],
    ["who", "", ""],
  ])("reads %s=%j as its declaration types it", (name, text, value) => {
    expect(parseParamValue(plan, name, text)).toBe(value);
  });

  it.each([
    ["n", "2.5", `parameter 'n' is an int, got "2.5"`],
    ["n", "1e3", `parameter 'n' is an int, got "1e3"`],
    ["n", "", `parameter 'n' is an int, got ""`],
    ["n", "0x10", `parameter 'n' is an int, got "0x10"`],
    ["n", "+4", `parameter 'n' is an int, got "+4"`],
    ["alpha", "+0.5", `parameter 'alpha' is a float, got "+0.5"`],
    ["n", "99999999999999999999", `parameter 'n' must be at most 9007199254740991, got "99999999999999999999"`],
    ["n", "9".repeat(400), /^parameter 'n' is an int, got "9+"$/],
    ["alpha", "abc", `parameter 'alpha' is a float, got "abc"`],
    ["alpha", "Infinity", `parameter 'alpha' is a float, got "Infinity"`],
    ["alpha", ".5", `parameter 'alpha' is a float, got ".5"`],
    ["x", "1", "no parameter named 'x'; the parameters are n, alpha, who, l"],
  ])("rejects %s=%j", (name, text, message) => {
    expect(() => parseParamValue(plan, name, text)).toThrow(ParamError);
    expect(() => parseParamValue(plan, name, text)).toThrow(message);
  });

  it("says so when a file declares no parameters", () => {
    const bare = planOf('prompt p = "x"', "generate 1 from p");
    expect(() => parseParamValue(bare, "l", "1")).toThrow("no parameter named 'l'; this file declares none");
  });

  it("gives values that bindPlan accepts", () => {
    const given = { n: parseParamValue(plan, "n", "2"), l: parseParamValue(plan, "l", "1") };
    expect(bindPlan(plan, given).map((bound) => bound.bindings)).toEqual([{ n: 2, alpha: 0.5, who: "Lily", l: 1 }]);
  });
});
