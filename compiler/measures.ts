// The metrics a measure reads, in one table: what each takes, whether it is one number, and where it may stand.
// One function both checks a metric as written and plans it, so the two cannot disagree.

import { createDiagnostic, type Diagnostic } from "../foundation/diagnostics.js";
import type { GenerateMeasure, MeasureStatement, MetricArgument, MetricCall } from "../grammar/ast.js";
import { didYouMeanOneOf } from "./edit-distance.js";
import { checkNumber, type NumberRule } from "./numbers.js";
import type { Metric, PlanStep, PositionSpec, TokenRef } from "./plan-ir.js";

/** Where a metric is read: a prompt's distribution (a `measure` statement), or a generation's. */
type Place = "prompt" | "generation";

interface MetricSpec {
  /** The arguments, as messages show them. */
  signature: string;
  /** Whether the value is one number, as `normalized` and `step=*` need. */
  scalar: boolean;
  /** Where it may not stand, and why. */
  notOn?: { place: Place; why: string };
  /** The metric from arguments of the right count (checked by `signature`'s arity), or the problem with one. */
  build: (args: MetricArgument[], fail: (problem: string, at: MetricArgument) => Diagnostic) => Metric | Diagnostic[];
  arity: number;
}

const TOP_K: NumberRule = { integer: true, accepts: (k) => k >= 1, bound: "at least 1" };

/** A token argument: a text (its one token is found against the model) or an id. */
function tokenOf(arg: MetricArgument): TokenRef | undefined {
  if (arg.kind === "text") return { text: arg.text.value, at: arg.range };
  if (arg.kind === "tokenId") return { id: arg.id, at: arg.range };
  return undefined;
}

const TOKEN_PROBLEM = 'a token is its text as it decodes in context, such as " She", or its id, such as #338';

function tokenMetric(kind: "logit" | "prob" | "logprob" | "rank"): MetricSpec {
  return {
    signature: "(TOKEN)",
    scalar: true,
    arity: 1,
    build: ([arg], fail) => {
      const token = tokenOf(arg!);
      return token ? { kind, token } : [fail(TOKEN_PROBLEM, arg!)];
    },
  };
}

export const METRICS: ReadonlyMap<string, MetricSpec> = new Map<string, MetricSpec>([
  ["logit", tokenMetric("logit")],
  ["prob", tokenMetric("prob")],
  ["logprob", tokenMetric("logprob")],
  ["rank", tokenMetric("rank")],
  [
    "logit_diff",
    {
      signature: "(TOKEN, TOKEN)",
      scalar: true,
      arity: 2,
      build: ([first, second], fail) => {
        const [a, b] = [tokenOf(first!), tokenOf(second!)];
        if (a && b) return { kind: "logit_diff", a, b };
        return [fail(TOKEN_PROBLEM, a ? second! : first!)];
      },
    },
  ],
  [
    "topk",
    {
      signature: "(K)",
      scalar: false,
      arity: 1,
      build: ([first], fail) => {
        const arg = first!;
        if (arg.kind !== "number") return [fail("K is a whole number of tokens, such as 5", arg)];
        const problems = checkNumber("K", arg.number, TOP_K);
        return problems.length > 0 ? problems : { kind: "topk", k: arg.number.value };
      },
    },
  ],
  ["entropy", { signature: "()", scalar: true, arity: 0, build: () => ({ kind: "entropy" }) }],
  [
    "kl",
    {
      signature: "(PROMPT)",
      scalar: true,
      arity: 1,
      build: ([arg], fail) =>
        arg?.kind === "name" ? { kind: "kl", prompt: arg.name.name } : [fail("give the name of a prompt", arg!)],
    },
  ],
  [
    "normalized",
    {
      signature: "(METRIC, clean=PROMPT, corrupt=PROMPT)",
      scalar: true,
      arity: 3,
      notOn: {
        place: "generation",
        why: "normalized compares prompts at one position; use it in a measure statement, as measure d = normalized(…) of p",
      },
      build: ([first, ...keywords], fail) => {
        const inner = first!;
        if (inner.kind !== "call")
          return [fail('the first argument is a metric, such as logit_diff(" She", " He")', inner)];
        const prompts = new Map<string, string>();
        for (const arg of keywords) {
          if (arg.kind !== "keyword" || !["clean", "corrupt"].includes(arg.key.name) || prompts.has(arg.key.name)) {
            return [fail("after the metric come clean=PROMPT and corrupt=PROMPT", arg)];
          }
          prompts.set(arg.key.name, arg.value.name);
        }
        const metric = planMetric(inner.call, "prompt");
        if (!("kind" in metric)) return metric;
        if (!METRICS.get(inner.call.name.name)!.scalar || metric.kind === "normalized") {
          return [
            fail("the metric inside is one number, such as logit_diff or prob, and not normalized itself", inner),
          ];
        }
        return { kind: "normalized", metric, clean: prompts.get("clean")!, corrupt: prompts.get("corrupt")! };
      },
    },
  ],
  [
    "contains",
    {
      signature: '("TEXT")',
      scalar: false,
      arity: 1,
      notOn: {
        place: "prompt",
        why: 'contains reads a generated text: write it after a generate, as generate 20 from p measure contains("Lily")',
      },
      build: ([arg], fail) =>
        arg?.kind === "text" ? { kind: "contains", text: arg.text.value } : [fail("give the text to look for", arg!)],
    },
  ],
]);

/** The metric a call means where it stands, or the diagnostics of what is wrong with it. */
export function planMetric(call: MetricCall, place: Place): Metric | Diagnostic[] {
  const name = call.name.name;
  const spec = METRICS.get(name);
  if (!spec) {
    const suggestion = didYouMeanOneOf(name, [...METRICS.keys()], "metrics");
    return [createDiagnostic("unknownMetric", call.name.range, { name, suggestion })];
  }
  const fail = (problem: string, at: { range: MetricCall["range"] }) =>
    createDiagnostic("metricArguments", at.range, { metric: name, signature: spec.signature, problem });
  if (spec.notOn?.place === place)
    return [createDiagnostic("misplacedMetric", call.range, { problem: spec.notOn.why })];
  if (call.args.length !== spec.arity) {
    const count = call.args.length;
    return [fail(`got ${count} argument${count === 1 ? "" : "s"}`, call)];
  }
  return spec.build(call.args, fail);
}

const asDiagnostics = (metric: Metric | Diagnostic[]): Diagnostic[] => ("kind" in metric ? [] : metric);

/** The position a measure statement reads: `at pos=INDEX` or `at pos="TEXT"`, the last prompt token without. */
export function measurePosition(measure: MeasureStatement): PositionSpec | Diagnostic {
  const at = measure.at;
  if (at === undefined) return { kind: "index", index: -1 };
  const problem = () =>
    createDiagnostic("measureAt", at.range, {
      problem: 'a measure statement reads at one prompt position: at pos=INDEX (-1 is the last) or at pos="TEXT"',
    });
  if (at.key.name !== "pos") return problem();
  if (at.value.kind === "number" && Number.isInteger(at.value.number.value)) {
    return { kind: "index", index: at.value.number.value };
  }
  if (at.value.kind === "text") return { kind: "text", text: at.value.text.value };
  return problem();
}

/** The step a generation's measure reads: `at step=N` (0 is the first new token) or `at step=*`; 0 without. */
export function measureStep(measure: GenerateMeasure): number | "all" | undefined | Diagnostic {
  const scalar = METRICS.get(measure.metric.name.name)?.scalar ?? true;
  const at = measure.at;
  if (measure.metric.name.name === "contains") {
    return at === undefined
      ? undefined
      : createDiagnostic("measureAt", at.range, {
          problem: "contains reads the whole generated text and takes no step",
        });
  }
  if (at === undefined) return 0;
  const problem = (text: string) => createDiagnostic("measureAt", at.range, { problem: text });
  if (at.key.name !== "step")
    return problem("a generate's measure reads at step=N (0 is the first new token) or step=*");
  if (at.value.kind === "all") {
    return scalar ? "all" : problem("step=* reads one number per step; use a metric of one number, or one step");
  }
  if (at.value.kind === "number" && Number.isSafeInteger(at.value.number.value) && at.value.number.value >= 0) {
    return at.value.number.value;
  }
  return problem("a step is a whole number from 0 (the first new token), or *");
}

/** Every problem with the measures of a measure statement or a generate. */
export function checkMeasure(measure: MeasureStatement): Diagnostic[] {
  const position = measurePosition(measure);
  return [...asDiagnostics(planMetric(measure.metric, "prompt")), ...("code" in position ? [position] : [])];
}

export function checkGenerationMeasure(measure: GenerateMeasure): Diagnostic[] {
  const step = measureStep(measure);
  const problems = asDiagnostics(planMetric(measure.metric, "generation"));
  return [...problems, ...(typeof step === "object" ? [step] : [])];
}

/** Every measure of plan steps, by name and metric: those of measure statements and those of generations. */
export function measuresOf<N, S>(steps: readonly PlanStep<N, S>[]): { name: string; metric: Metric<N> }[] {
  return steps.flatMap((step): { name: string; metric: Metric<N> }[] => {
    if (step.kind === "measure") return [step];
    return step.kind === "generate" ? (step.measures ?? []) : [];
  });
}
