// Properties over random experiments on the bundled model: lint never throws, and a plan that lint accepts
// runs to the end — a bad selector is always caught before generation, never in the middle of it. And over huge
// and deeply nested inputs: lint and its text output finish, within a time bound, whatever the size.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasErrors } from "../foundation/diagnostics.js";
import { compile, formatDiagnostics } from "../compiler/index.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { lint } from "../runtime/lint.js";
import { Model } from "../runtime/model.js";

const PREAMBLE = `model "stories260K"
prompt a = "Once upon a time, there was a little girl named Lily."
prompt b = "Once upon a time, there was a little boy named Tom."
prompt c = "Tom had a red ball."
`;

const prompt = fc.constantFrom("a", "b", "c");
const site = fc.constantFrom(
  "resid",
  "resid_pre",
  "resid_post",
  "attn_out",
  "resid_mid",
  "mlp_out",
  "mlp_hidden",
  "z",
  "q",
  "k",
  "v",
);
// Mostly selections that fit, with enough misfits (layers, heads, positions) to exercise the checks.
const index = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -10, max: 10 }) },
  { weight: 1, arbitrary: fc.integer({ min: -30, max: 30 }) },
);
const position = fc.oneof(
  index.map(String),
  fc.tuple(index, index).map(([x, y]) => `${Math.min(x, y)}..${Math.max(x, y)}`),
  fc.constantFrom('"Tom"', '"little"', '"Lily"', '"ball"', "prompt", "new", "*"),
);
const layer = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 6 }) },
);
const head = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4, max: 8 }) },
);
const selectors = fc.record({ L: layer, head, pos: position }, { requiredKeys: ["L"] }).map(
  (s) =>
    `[${Object.entries(s)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}]`,
);
const siteRef = fc
  .tuple(site, selectors)
  .map(([s, sel]) => s + (["z", "q", "k", "v"].includes(s) ? sel : sel.replace(/, head=\d+/, "")));
const value = fc.oneof(
  fc.double({ min: -3, max: 3, noNaN: true }).map((x) => x.toFixed(2)),
  fc.tuple(siteRef, prompt).map(([s, p]) => `${s} of ${p}`),
  fc
    .tuple(fc.double({ min: -2, max: 2, noNaN: true }), siteRef, siteRef)
    .map(([k, s, t]) => `${k.toFixed(2)} * (${s} of "Lily" - ${t} of a)`),
);
const statement = fc.oneof(
  fc.tuple(siteRef, prompt, prompt).map(([s, p, q]) => `patch ${s} from ${p} into ${q}`),
  fc.tuple(value, siteRef, prompt).map(([v, s, q]) => `add ${v} to ${s} in ${q}`),
  fc.tuple(siteRef, prompt, value).map(([s, q, v]) => `set ${s} in ${q} to ${v}`),
  fc.tuple(siteRef, prompt, value).map(([s, q, v]) => `scale ${s} in ${q} by ${v}`),
  fc.tuple(siteRef, prompt).map(([s, q]) => `zero ${s} in ${q}`),
  fc.tuple(siteRef, prompt).map(([s, q]) => `mean ${s} in ${q} over c`),
);
const program = fc
  .tuple(fc.array(statement, { minLength: 1, maxLength: 4 }), prompt, fc.boolean())
  .map(
    ([statements, q, sample]) =>
      `${PREAMBLE}${statements.join("\n")}\ngenerate 3 from ${q}${sample ? " sample seed=1" : ""}\n`,
  );

let model: Model;
beforeAll(async () => {
  model = await Model.load({ kind: "bundled", name: "stories260K" });
});
afterAll(() => model.dispose());

describe("random experiments", () => {
  it("lint never throws, and what lint accepts runs without an error", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(program, async (source) => {
        const diagnostics = await lint(source, { baseDir: process.cwd() });
        expect(diagnostics.every((d) => /^PTCH\d{4}$/.test(d.code))).toBe(true);
        if (hasErrors(diagnostics)) return;
        accepted++;
        const result = await runPlanOnModel(compile(source).plan!, model);
        expect(result.runs).toHaveLength(1);
      }),
      { numRuns: 200, seed: 20261129 },
    );
    // The generator is only useful if it produces runnable experiments too.
    expect(accepted).toBeGreaterThan(10);
  });
});

/** Sources that stress one dimension each, `n` deep or long: nesting, one huge statement, or very many. */
const hugeInputs: Record<string, (n: number) => string> = {
  nestedParentheses: (n) => `add ${"(".repeat(n)}1${")".repeat(n)} to resid[L=0, pos=0] in a`,
  unclosedParentheses: (n) => `add ${"(".repeat(n)} to resid[L=0] in a`,
  strayClosers: (n) => ")".repeat(n),
  nestedBrackets: (n) => `zero resid${"[".repeat(n)} in a`,
  nestedCalls: (n) => `measure m = ${"prob(".repeat(n)}${")".repeat(n)} of a`,
  operatorChain: (n) => `add ${"1 + ".repeat(n)}1 to resid[L=0, pos=0] in a`,
  longSweep: (n) => `sweep s in [${Array.from({ length: n }, (_, i) => i).join(", ")}]`,
  malformedSweep: (n) => `sweep s in [${Array(n).fill("1 2").join(", ")}]`,
  longString: (n) => `prompt long = "${"ab".repeat(n * 5)}"`,
  longName: (n) => `generate 1 from ${"a".repeat(n * 5)}b`,
  manyStatements: (n) => "patch resid[L=0, pos=0] from a into b\n".repeat(n),
  manyErrors: (n) => ")(\n".repeat(n),
  manyMisspellings: (n) => "generate 1 from aa\n".repeat(n),
};

describe("huge and deeply nested inputs", () => {
  // Each input, up to some megabytes, takes well under a few seconds here; the bound catches a return of the
  // quadratic paths (recovery, did-you-mean, diagnostics as text) and the stack overflows, not small slowdowns.
  const TIME_BOUND_MS = 20_000;
  it("lint answers every one with diagnostics, in bounded time, and they print as bounded text", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(hugeInputs)),
        fc.integer({ min: 1, max: 60_000 }),
        async (kind, n) => {
          const source = `${PREAMBLE}${hugeInputs[kind]!(n)}\ngenerate 1 from a\n`;
          const start = performance.now();
          const diagnostics = await lint(source, { baseDir: process.cwd() });
          const text = formatDiagnostics(diagnostics, "huge.ptch", source);
          expect(performance.now() - start).toBeLessThan(TIME_BOUND_MS);
          expect(diagnostics.every((d) => /^PTCH\d{4}$/.test(d.code))).toBe(true);
          // At most 20 diagnostics of each code print, each with one source line cut to the terminal's width.
          expect(text.length).toBeLessThan(100_000);
        },
      ),
      // Every kind at its largest, then random kinds and sizes.
      { numRuns: 24, seed: 20261204, examples: Object.keys(hugeInputs).map((kind) => [kind, 60_000]) },
    );
  }, 240_000);
});
