// Interventions on the bundled model. The property that defines correctness: cached generation with
// interventions equals recomputing the whole sequence from scratch with the same interventions at the same
// absolute positions, and the ONNX graph's slots agree with the float64 reference hooked at the same sites.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PLAN_VERSION,
  type BoundPlan,
  type Plan,
  type PlanStep,
  type PositionSpec,
  type SiteName,
  type SiteSelection,
} from "../compiler/plan-ir.js";
import { PlanRejectedError } from "../runtime/errors.js";
import { planExperiment, runPlanOnModel } from "../runtime/execute.js";
import { forwardFull, generate, type GenerationRequest } from "../runtime/generate.js";
import { loadGguf } from "../runtime/formats/gguf.js";
import { readReferenceLlama, type LlamaModel } from "./support/reference-forward.js";
import { Model } from "../runtime/model.js";
import { siteId, type ActivationSite } from "../runtime/sites.js";
import { maxLogitDifference, recomputeGreedy, tableHook } from "./support/intervention-checks.js";
import { referenceLogits, type ReferenceHook } from "./support/reference-forward.js";

const SOURCE = "Once upon a time, there was a little girl named Lily.";
const TARGET = "Once upon a time, there was a little boy named Tom.";
// The same length as TARGET (17 tokens), so that whole-prompt patches pair positions one to one.
const OTHER = "One day, a little dog found a red ball.";
const THIRD = "The sun was hot and a little cat went to sleep.";
const NEW_TOKENS = 40;

let model: Model;
let llama: LlamaModel;

beforeAll(async () => {
  model = await Model.load({ kind: "bundled", name: "stories260K" });
  llama = readReferenceLlama(await loadGguf(model.path));
});
afterAll(() => model.dispose());

const select = (site: SiteName, layer: number, positions: PositionSpec, head?: number): SiteSelection => ({
  site,
  layer,
  ...(head === undefined ? {} : { head }),
  positions,
});

function planOf(steps: PlanStep[], extraPrompts: { name: string; text: string }[] = []): BoundPlan {
  return {
    planVersion: PLAN_VERSION,
    model: { kind: "bundled", name: "stories260K" },
    bindings: {},
    prompts: [
      { name: "source", text: SOURCE },
      { name: "target", text: TARGET },
      { name: "other", text: OTHER },
      { name: "third", text: THIRD },
      ...extraPrompts,
    ],
    steps: [...steps, { kind: "generate", prompt: "target", maxNewTokens: NEW_TOKENS, sampling: { kind: "greedy" } }],
  };
}

/** A bound plan as the compiler would give it: no parameters. */
const asPlan = ({ bindings: _, ...plan }: BoundPlan): Plan => ({ ...plan, params: [], sweeps: [] });

async function preparedRequest(plan: BoundPlan): Promise<GenerationRequest> {
  const { generations } = await planExperiment(plan, model).prepare();
  return generations[generations.length - 1]!.request;
}

const maxDifference = (actual: Float32Array, expected: Float64Array[]) =>
  maxLogitDifference(actual, expected, model.config.vocabSize);

// One site per intervention kind, so that every site is exercised somewhere.
const POSITION_KINDS: [string, PositionSpec][] = [
  ["absolute", { kind: "index", index: 3 }],
  ["negative", { kind: "index", index: -2 }],
  ["span", { kind: "range", from: 2, to: 5 }],
  ["text", { kind: "text", text: "little" }],
  ["prompt", { kind: "prompt" }],
  ["new", { kind: "generated" }],
  ["*", { kind: "all" }],
];

const single = (site: SiteSelection): SiteSelection => ({ ...site, positions: { kind: "index", index: -1 } });
const takesPerPositionValues = (positions: PositionSpec) => positions.kind !== "generated" && positions.kind !== "all";

const KINDS: Record<string, (positions: PositionSpec) => PlanStep> = {
  patch: (positions) => {
    const site = select("resid", 1, positions);
    // Generated positions take one vector: patch them from the source's last token.
    const source = takesPerPositionValues(positions) ? site : single(site);
    return { kind: "patch", sourcePrompt: "other", source, prompt: "target", site };
  },
  add: (positions) => ({
    kind: "add",
    prompt: "target",
    site: select("mlp_out", 2, positions),
    value: {
      kind: "binary",
      op: "*",
      left: { kind: "number", value: 4 },
      right: {
        kind: "binary",
        op: "-",
        left: { kind: "activation", prompt: "source", site: select("mlp_out", 2, { kind: "index", index: -2 }) },
        right: { kind: "activation", prompt: "other", site: select("mlp_out", 2, { kind: "index", index: -2 }) },
      },
    },
  }),
  set: (positions) => ({
    kind: "set",
    prompt: "target",
    site: select("z", 2, positions, 3),
    value: { kind: "activation", prompt: "source", site: select("z", 2, { kind: "index", index: -1 }, 5) },
  }),
  scale: (positions) => ({
    kind: "scale",
    prompt: "target",
    site: select("mlp_hidden", 1, positions),
    factor: { kind: "number", value: -1.5 },
  }),
  zero: (positions) => ({ kind: "zero", prompt: "target", site: select("attn_out", 0, positions) }),
  mean: (positions) => ({
    kind: "mean",
    prompt: "target",
    site: select("resid_mid", 3, positions),
    over: ["other", "third"],
  }),
  "k patch": (positions) => {
    const site = select("k", 1, positions, 2);
    return {
      kind: "patch",
      sourcePrompt: "other",
      source: takesPerPositionValues(positions) ? site : single(site),
      prompt: "target",
      site,
    };
  },
  "q add": (positions) => ({
    kind: "add",
    prompt: "target",
    site: select("q", 0, positions, 7),
    value: { kind: "number", value: 0.75 },
  }),
  "v scale": (positions) => ({
    kind: "scale",
    prompt: "target",
    site: select("v", 4, positions),
    factor: { kind: "number", value: 3 },
  }),
  // Not a scale: the final RMSNorm would undo it.
  "final resid": (positions) => ({
    kind: "add",
    prompt: "target",
    site: select("resid", 5, positions),
    value: { kind: "number", value: 0.5 },
  }),
};

describe("every intervention kind at every kind of position", () => {
  const cases = Object.keys(KINDS).flatMap((kind) =>
    POSITION_KINDS.filter(([, positions]) => kind !== "mean" || takesPerPositionValues(positions)).map(
      ([positionName, positions]) => [kind, positionName, positions] as const,
    ),
  );

  it.each(cases)(
    "%s at %s: cached generation equals recomputing from scratch, and ONNX equals the reference",
    async (kind, _name, positions) => {
      const plain = await preparedRequest(planOf([]));
      const request = await preparedRequest(planOf([KINDS[kind]!(positions)]));
      expect(request.interventions?.isEmpty).toBe(false);

      const [cached] = await generate(model, [request]);
      expect(cached!.tokens).toEqual(await recomputeGreedy(model, request));

      // Over prompt and generated positions, the graph's slots match the reference hooked at the same sites.
      const sequence = [...request.promptTokens, ...cached!.tokens.slice(0, 6)];
      const { logits } = await forwardFull(model, [sequence], [request]);
      expect(
        maxDifference(logits!.data, referenceLogits(llama, sequence, tableHook(request.interventions))),
      ).toBeLessThan(1e-4);

      // The intervention acted: the logits differ from an unpatched run somewhere it applies.
      const { logits: plainLogits } = await forwardFull(model, [sequence], [plain]);
      expect(maxDifference(logits!.data, referenceLogits(llama, sequence))).toBeGreaterThan(1e-3);
      expect(maxDifference(plainLogits!.data, referenceLogits(llama, sequence))).toBeLessThan(1e-4);
    },
  );

  it("mean ablation at generated positions is rejected before anything runs", () => {
    const plan = planOf([KINDS.mean!({ kind: "generated" })]);
    expect(() => planExperiment(plan, model)).toThrow(PlanRejectedError);
  });
});

describe("what interventions compute", () => {
  /** Activations of `site` at every position of `text`, from the reference. */
  function referenceActivations(text: string, site: ActivationSite, hook: ReferenceHook = () => {}): Float64Array[] {
    const rows: Float64Array[] = [];
    referenceLogits(llama, model.tokenizer.encode(text), (s, position, x) => {
      hook(s, position, x);
      if (siteId(s) === siteId(site)) rows[position] = Float64Array.from(x);
    });
    return rows;
  }

  async function logitsOf(plan: BoundPlan): Promise<Float32Array> {
    const request = await preparedRequest(planOf(plan.steps.slice(0, -1), plan.prompts.slice(4)));
    return (await forwardFull(model, [request.promptTokens], [request])).logits!.data;
  }

  it("patch copies the source's activation into the target at the same absolute position", async () => {
    const site = select("resid", 1, { kind: "index", index: -2 });
    const plan = planOf([{ kind: "patch", sourcePrompt: "source", source: site, prompt: "target", site }]);
    const sourceRows = referenceActivations(SOURCE, { site: "resid", layer: 1 });
    const targetTokens = model.tokenizer.encode(TARGET);
    const position = targetTokens.length - 2;
    const sourcePosition = sourceRows.length - 2;
    const expected = referenceLogits(llama, targetTokens, (s, p, x) => {
      if (siteId(s) === "resid.1" && p === position) x.set(sourceRows[sourcePosition]!);
    });
    expect(maxDifference(await logitsOf(plan), expected)).toBeLessThan(1e-4);
  });

  it("patch across layers and positions, and into one head of z", async () => {
    const plan = planOf([
      {
        kind: "patch",
        sourcePrompt: "source",
        source: select("resid", 2, { kind: "index", index: -2 }),
        prompt: "target",
        site: select("resid", 1, { kind: "index", index: 4 }),
      },
      {
        kind: "patch",
        sourcePrompt: "other",
        source: select("z", 3, { kind: "range", from: 1, to: 3 }, 6),
        prompt: "target",
        site: select("z", 3, { kind: "range", from: 2, to: 4 }, 1),
      },
    ]);
    const sourceResid = referenceActivations(SOURCE, { site: "resid", layer: 2 });
    const otherZ = referenceActivations(OTHER, { site: "z", layer: 3 });
    const headDim = model.config.headDim;
    const expected = referenceLogits(llama, model.tokenizer.encode(TARGET), (s, p, x) => {
      if (siteId(s) === "resid.1" && p === 4) x.set(sourceResid[sourceResid.length - 2]!);
      if (siteId(s) === "z.3" && p >= 2 && p <= 4)
        x.set(otherZ[p - 1]!.subarray(6 * headDim, 7 * headDim), 1 * headDim);
    });
    expect(maxDifference(await logitsOf(plan), expected)).toBeLessThan(1e-4);
  });

  it("steering adds an arithmetic expression of captured activations", async () => {
    const lily = select("resid", 2, { kind: "index", index: -1 });
    const plan = planOf(
      [
        { kind: "capture", name: "tom", prompt: "target", site: lily, output: false },
        {
          kind: "add",
          prompt: "target",
          site: select("resid", 2, { kind: "prompt" }),
          value: {
            kind: "binary",
            op: "*",
            left: { kind: "number", value: 0.5 },
            right: {
              kind: "binary",
              op: "-",
              left: { kind: "activation", prompt: '"Lily"', site: lily },
              right: { kind: "capture", name: "tom" },
            },
          },
        },
      ],
      [{ name: '"Lily"', text: "Lily" }],
    );
    const lilyRows = referenceActivations("Lily", { site: "resid", layer: 2 });
    const tomRows = referenceActivations(TARGET, { site: "resid", layer: 2 });
    const steer = lilyRows[lilyRows.length - 1]!.map((v, i) => 0.5 * (v - tomRows[tomRows.length - 1]![i]!));
    const expected = referenceLogits(llama, model.tokenizer.encode(TARGET), (s, _p, x) => {
      if (siteId(s) === "resid.2") x.set(x.map((v, i) => v + steer[i]!));
    });
    expect(maxDifference(await logitsOf(plan), expected)).toBeLessThan(1e-4);
  });

  it("mean ablation writes the average of the other prompts at each position", async () => {
    const plan = planOf([
      {
        kind: "mean",
        prompt: "target",
        site: select("mlp_out", 1, { kind: "range", from: 1, to: 6 }),
        over: ["source", "other"],
      },
    ]);
    const site = { site: "mlp_out", layer: 1 } as const;
    const [a, b] = [referenceActivations(SOURCE, site), referenceActivations(OTHER, site)];
    const expected = referenceLogits(llama, model.tokenizer.encode(TARGET), (s, p, x) => {
      if (siteId(s) === "mlp_out.1" && p >= 1 && p <= 6) x.set(a[p]!.map((v, i) => (v + b[p]![i]!) / 2));
    });
    expect(maxDifference(await logitsOf(plan), expected)).toBeLessThan(1e-4);
  });

  it("interventions compose in statement order, and a capture sees the interventions written before it", async () => {
    const site = select("resid", 3, { kind: "index", index: 5 });
    const scaleThenZeroHead: PlanStep[] = [
      { kind: "scale", prompt: "source", site, factor: { kind: "number", value: 2 } },
      { kind: "add", prompt: "source", site, value: { kind: "number", value: 1 } },
      {
        kind: "patch",
        sourcePrompt: "source",
        source: select("resid", 4, { kind: "index", index: 5 }),
        prompt: "target",
        site: select("resid", 4, { kind: "index", index: 5 }),
      },
    ];
    // The patch reads source's resid 4 after source's own (2x + 1) at resid 3, position 5.
    const sourceRows = referenceActivations(SOURCE, { site: "resid", layer: 4 }, (s, p, x) => {
      if (siteId(s) === "resid.3" && p === 5) x.set(x.map((v) => 2 * v + 1));
    });
    const expected = referenceLogits(llama, model.tokenizer.encode(TARGET), (s, p, x) => {
      if (siteId(s) === "resid.4" && p === 5) x.set(sourceRows[5]!);
    });
    expect(maxDifference(await logitsOf(planOf(scaleThenZeroHead)), expected)).toBeLessThan(1e-4);
  });
});

/** Generates `requests` in one batch, expecting each row's tokens to be those the request gives alone. */
async function generateBatchedAsAlone(requests: readonly GenerationRequest[]) {
  const batched = await generate(model, requests);
  for (const [i, request] of requests.entries()) {
    const [alone] = await generate(model, [request]);
    expect(batched[i]!.tokens).toEqual(alone!.tokens);
  }
  return batched;
}

describe("invariants", () => {
  it("patching a prompt from itself at the same place changes nothing", async () => {
    const site = select("resid", 2, { kind: "range", from: 1, to: 8 });
    const result = await runPlanOnModel(
      asPlan(planOf([{ kind: "patch", sourcePrompt: "target", source: site, prompt: "target", site }])),
      model,
    );
    const plain = await runPlanOnModel(asPlan(planOf([])), model);
    expect(result.runs[0]!.tokens).toEqual(plain.runs[0]!.tokens);
  });

  it("a plan without interventions equals plain generation", async () => {
    const result = await runPlanOnModel(asPlan(planOf([])), model);
    const [plain] = await generate(model, [{ promptTokens: model.tokenizer.encode(TARGET), maxNewTokens: NEW_TOKENS }]);
    expect(result.runs[0]!.tokens).toEqual(plain!.tokens);
    expect(result.runs[0]!.promptTokens).toEqual(model.tokenizer.encode(TARGET));
  });

  it("batched generation of prompts of different lengths equals running each alone", async () => {
    const patch = select("resid", 1, { kind: "index", index: -2 });
    const requests: GenerationRequest[] = [
      await preparedRequest(
        planOf([{ kind: "patch", sourcePrompt: "source", source: patch, prompt: "target", site: patch }]),
      ),
      { promptTokens: model.tokenizer.encode("Tom"), maxNewTokens: 30 },
      {
        promptTokens: model.tokenizer.encode(OTHER + " She was happy."),
        maxNewTokens: 25,
        sampling: { kind: "sample", temperature: 0.9, topK: 20, seed: 3 },
      },
      await preparedRequest(
        planOf([{ kind: "zero", prompt: "target", site: select("mlp_out", 0, { kind: "generated" }) }]),
      ),
    ];
    await generateBatchedAsAlone(requests);
  });

  // Rows of one prompt share the prefill of the positions before the first intervened one (generate.ts): with a
  // tail of 1, 3 and 6 positions after it, each row generates as it does alone.
  it.each([-1, -3, -6])("rows of one prompt intervened from pos=%i on generate as each does alone", async (index) => {
    const at = (layer: number) => select("resid", layer, { kind: "index", index });
    const requests: GenerationRequest[] = [
      await preparedRequest(
        planOf([{ kind: "patch", sourcePrompt: "source", source: at(1), prompt: "target", site: at(1) }]),
      ),
      await preparedRequest(planOf([{ kind: "zero", prompt: "target", site: at(0) }])),
      await preparedRequest(planOf([])),
      await preparedRequest(
        planOf([{ kind: "zero", prompt: "target", site: select("mlp_out", 0, { kind: "generated" }) }]),
      ),
    ];
    const batched = await generateBatchedAsAlone(requests);
    // The interventions act: the patched or the ablated row differs from the plain one.
    const plain = JSON.stringify(batched[2]!.tokens);
    expect([0, 1].some((row) => JSON.stringify(batched[row]!.tokens) !== plain)).toBe(true);
  });
});
