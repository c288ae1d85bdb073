// Checked AST → Plan. Objects are built with their keys in a fixed order, so JSON.stringify of a plan is stable
// and plans can be diffed and snapshot-tested. A parameter or sweep variable written where a literal may stand
// becomes a reference to it (`{ "param": "l" }`), which binding the plan (bind.ts) replaces with a value.

import { isName, onStatement, siteReads, sourcePromptName, statementsOfKind } from "../grammar/ast-queries.js";
import { paramDeclarations, type ParamDeclaration, type ParamType } from "./params.js";
import { DEFAULT_TEMPERATURE, SAMPLING_OPTIONS, type SamplingField } from "./sampling.js";
import { effectiveSelectors, SITES } from "./sites.js";
import {
  PLAN_VERSION,
  type GenerationMeasure,
  type Metric,
  type ModelRef,
  type NumberOrParam,
  type Plan,
  type PlanPrompt,
  type PlanStep,
  type PositionSpec,
  type SamplingSpec,
  type SiteSelection,
  type StringOrParam,
  type ValueExpr,
} from "./plan-ir.js";
import { measurePosition, measureStep, planMetric } from "./measures.js";
import {
  type AddStatement,
  type GenerateMeasure,
  type MetricCall,
  type Expression,
  type NumberOrName,
  type Program,
  type SamplingClause,
  type Selector,
  type SelectorValue,
  type SetStatement,
  type SiteReference,
  type Statement,
  type StringOrName,
} from "../grammar/ast.js";

/** Builds the plan of a program that passed `check` (so it has exactly one model statement). */
export function buildPlan(program: Program): Plan {
  const [model] = statementsOfKind(program, "model");
  if (model === undefined) throw new Error("buildPlan needs a checked program, and this one has no model statement");
  const declarations = paramDeclarations(program);
  const planner = new StepPlanner(declarations);
  const declared = statementsOfKind(program, "prompt").map((prompt) => ({
    name: prompt.name.name,
    text: stringOrParam(prompt.text),
  }));
  return {
    planVersion: PLAN_VERSION,
    model: modelRef(model.ref.value),
    params: statementsOfKind(program, "param").map(({ name, default: value }) => ({
      name: name.name,
      type: typed(declarations.get(name.name)).type,
      default: value.value,
    })),
    sweeps: statementsOfKind(program, "sweep").map(({ name }) => {
      const { type, values } = typed(declarations.get(name.name));
      return { name: name.name, type, values };
    }),
    prompts: [...declared, ...literalPrompts(program)],
    steps: program.statements.flatMap((statement) => planner.steps(statement)),
  };
}

/** A declaration of a checked program, where every type is known. */
function typed(declaration: ParamDeclaration | undefined): ParamDeclaration & { type: ParamType } {
  const type = declaration?.type;
  if (type === undefined) throw new Error("buildPlan needs a checked program: a sweep has no values");
  return { ...declaration!, type };
}

const MODEL_FILE_EXTENSIONS = [".gguf", ".safetensors", ".onnx"];

/** A reference that looks like a path (a separator or a model-file extension) is a file; otherwise a bundled name. */
export function modelRef(reference: string): ModelRef {
  const isPath =
    /[/\\]/.test(reference) || MODEL_FILE_EXTENSIONS.some((extension) => reference.toLowerCase().endsWith(extension));
  return isPath ? { kind: "file", path: reference } : { kind: "bundled", name: reference };
}

/** The string literals read as prompts (`resid[L=1] of "Lily"`), each once, in the order they are first read. */
function literalPrompts(program: Program): PlanPrompt[] {
  const prompts = new Map<string, PlanPrompt>();
  for (const { source } of program.statements.flatMap(siteReads)) {
    if (source.kind !== "text") continue;
    const name = sourcePromptName(source);
    prompts.set(name, { name, text: source.text.value });
  }
  return [...prompts.values()];
}

type TemplateStep = PlanStep<NumberOrParam, StringOrParam>;
type TemplateSelection = SiteSelection<NumberOrParam, StringOrParam>;
type TemplateValue = ValueExpr<NumberOrParam, StringOrParam>;

/** A literal's value, or a reference to the parameter named in its place. */
function numberOrParam(value: NumberOrName): NumberOrParam {
  return isName(value) ? { param: value.name } : value.value;
}

/** The metric of a call that the checks passed. */
function checkedMetric(call: MetricCall, place: "prompt" | "generation"): Metric {
  const metric = planMetric(call, place);
  if (!("kind" in metric)) throw new Error(`internal: planning a metric with errors: ${metric[0]?.message}`);
  return metric;
}

function generationMeasure(measure: GenerateMeasure): GenerationMeasure {
  const step = measureStep(measure) as number | "all" | undefined;
  return {
    name: measure.name?.name ?? measure.metric.text,
    metric: checkedMetric(measure.metric, "generation"),
    metricText: measure.metric.text,
    ...(step === undefined ? {} : { step }),
    at: measure.range,
  };
}

function stringOrParam(value: StringOrName): StringOrParam {
  return isName(value) ? { param: value.name } : value.value;
}

/** Plans statements; it knows the parameters, since a name in a value is a parameter if one is declared so. */
class StepPlanner {
  /** Generate statements planned so far: the next one's default seed. */
  private generateStatements = 0;

  constructor(private readonly declarations: ReadonlyMap<string, ParamDeclaration>) {}

  steps(statement: Statement): TemplateStep[] {
    const valueWrite = (s: AddStatement | SetStatement): TemplateStep[] => [
      { kind: s.kind, prompt: s.prompt.name, site: this.selection(s.site), value: this.valueExpr(s.value) },
    ];
    return onStatement<TemplateStep[]>(
      statement,
      {
        let: (s) => [
          {
            kind: "capture",
            name: s.name.name,
            prompt: sourcePromptName(s.source),
            site: this.selection(s.site),
            output: s.exported,
          },
        ],
        patch: ({ site, source, target }) => [
          {
            kind: "patch",
            sourcePrompt: source.prompt.name,
            source: this.selection(site, source.selectors),
            prompt: target.prompt.name,
            site: this.selection(site, target.selectors),
          },
        ],
        add: valueWrite,
        set: valueWrite,
        scale: (s) => [
          { kind: "scale", prompt: s.prompt.name, site: this.selection(s.site), factor: this.valueExpr(s.factor) },
        ],
        zero: (s) => [{ kind: "zero", prompt: s.prompt.name, site: this.selection(s.site) }],
        mean: (s) => [
          {
            kind: "mean",
            prompt: s.prompt.name,
            site: this.selection(s.site),
            over: s.over.prompts.map((prompt) => prompt.name),
          },
        ],
        generate: (s) => [
          {
            kind: "generate",
            prompt: s.prompt.name,
            maxNewTokens: numberOrParam(s.count),
            sampling: sampling(s.sampling, this.generateStatements++),
            ...(s.stop ? { stop: stringOrParam(s.stop) } : {}),
            ...(s.measures.length > 0 ? { measures: s.measures.map(generationMeasure) } : {}),
            at: s.range,
          },
        ],
        measure: (s) => [
          {
            kind: "measure",
            name: s.name.name,
            prompt: s.prompt.name,
            metric: checkedMetric(s.metric, "prompt"),
            metricText: s.metric.text,
            position: measurePosition(s) as PositionSpec,
            at: s.range,
          },
        ],
      },
      // Declarations (model, prompt, param, sweep) are the plan's header, not steps.
      () => [],
    );
  }

  /**
   * The selection a site's selectors make, with `overrides` (a patch side's) replacing the site's own. Aliases
   * become their canonical site; each part records the range of the selector that set it, for model checks.
   */
  private selection(site: SiteReference, overrides: Selector[] = []): TemplateSelection {
    const spec = SITES.get(site.name.name);
    const selectors = effectiveSelectors(site.selectors, overrides);
    const layer = selectors.get("layer");
    const head = selectors.get("head");
    const positions = selectors.get("positions");
    if (spec === undefined || layer === undefined)
      throw new Error("buildPlan needs a checked program: a site is invalid");
    const layerValue = numberOf(layer);
    return {
      site: spec.site,
      // The checks reject a parameter as the layer of a site with an offset (resid_post).
      layer: typeof layerValue === "number" ? layerValue + spec.layerOffset : layerValue,
      ...(head ? { head: numberOf(head) } : {}),
      positions: this.positionSpec(positions?.value),
      at: {
        site: site.name.range,
        ...(site.name.name === spec.site ? {} : { alias: site.name.name }),
        layer: layer.range,
        ...(head ? { head: head.range } : {}),
        ...(positions ? { positions: positions.range } : {}),
      },
    };
  }

  /**
   * The positions a `pos=` value selects; no `pos` at all selects every position, like `pos=*`. A parameter
   * selects an index, or a text if it is a string.
   */
  private positionSpec(value: SelectorValue | undefined): PositionSpec<NumberOrParam, StringOrParam> {
    switch (value?.kind) {
      case "number":
        return { kind: "index", index: value.number.value };
      case "span":
        return { kind: "range", from: numberOrParam(value.from), to: numberOrParam(value.to) };
      case "param": {
        const reference = { param: value.name.name };
        const isText = this.declarations.get(value.name.name)?.type === "string";
        return isText ? { kind: "text", text: reference } : { kind: "index", index: reference };
      }
      case "text":
        return { kind: "text", text: value.text.value };
      case "prompt":
        return { kind: "prompt" };
      case "new":
        return { kind: "generated" };
      case "all":
      case undefined:
        return { kind: "all" };
    }
  }

  private valueExpr(expression: Expression): TemplateValue {
    switch (expression.kind) {
      case "number":
        return { kind: "number", value: expression.number.value };
      case "capture": {
        const { name } = expression.name;
        return this.declarations.has(name) ? { kind: "number", value: { param: name } } : { kind: "capture", name };
      }
      case "activation":
        return {
          kind: "activation",
          prompt: sourcePromptName(expression.source),
          site: this.selection(expression.site),
        };
      case "binary":
        return {
          kind: "binary",
          op: expression.operator,
          left: this.valueExpr(expression.left),
          right: this.valueExpr(expression.right),
        };
      case "negate": {
        const operand = this.valueExpr(expression.operand);
        // -0.5 is a number, not an operation on one; -alpha stays an operation, as a reference has no sign.
        return operand.kind === "number" && typeof operand.value === "number"
          ? { kind: "number", value: -operand.value }
          : { kind: "negate", operand };
      }
    }
  }
}

function numberOf(selector: Selector): NumberOrParam {
  const { value } = selector;
  if (value.kind === "number") return value.number.value;
  if (value.kind === "param") return { param: value.name.name };
  throw new Error(`buildPlan needs a checked program: ${selector.key.name}`);
}

/**
 * A generate statement's sampling. Without a seed, the statement's ordinal among the file's generate statements
 * is its seed: two unseeded statements sample differently, and each repeats from run to run.
 */
function sampling(clause: SamplingClause | undefined, ordinal: number): SamplingSpec<NumberOrParam> {
  if (clause === undefined) return { kind: "greedy" };
  const values = new Map<SamplingField, NumberOrParam>(
    clause.options.map((option) => [SAMPLING_OPTIONS.get(option.key.name)!.field, numberOrParam(option.value)]),
  );
  const topK = values.get("topK");
  const topP = values.get("topP");
  return {
    kind: "sample",
    temperature: values.get("temperature") ?? DEFAULT_TEMPERATURE,
    ...(topK === undefined ? {} : { topK }),
    ...(topP === undefined ? {} : { topP }),
    seed: values.get("seed") ?? ordinal,
  };
}
