// Checked AST → Plan. Objects are built with their keys in a fixed order, so JSON.stringify of a plan is stable
// and plans can be diffed and snapshot-tested.

import { siteReads, sourcePromptName, statementsOfKind } from "./ast.js";
import { DEFAULT_SEED, DEFAULT_TEMPERATURE, SAMPLING_OPTIONS, type SamplingField } from "./sampling.js";
import { effectiveSelectors, positionSpec, SITES } from "./sites.js";
import {
  PLAN_VERSION,
  type Expression,
  type ModelRef,
  type Plan,
  type PlanPrompt,
  type PlanStep,
  type Program,
  type SamplingClause,
  type SamplingSpec,
  type Selector,
  type SiteReference,
  type SiteSelection,
  type Statement,
  type ValueExpr,
} from "./types.js";

/** Builds the plan of a program that passed `check` (so it has exactly one model statement). */
export function buildPlan(program: Program): Plan {
  const [model] = statementsOfKind(program, "model");
  if (model === undefined) throw new Error("buildPlan needs a checked program, and this one has no model statement");
  const declared = statementsOfKind(program, "prompt").map((prompt) => ({
    name: prompt.name.name,
    text: prompt.text.value,
  }));
  return {
    planVersion: PLAN_VERSION,
    model: modelRef(model.ref.value),
    params: [],
    sweeps: [],
    prompts: [...declared, ...literalPrompts(program)],
    steps: program.statements.flatMap(planSteps),
  };
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

function planSteps(statement: Statement): PlanStep[] {
  switch (statement.kind) {
    case "model":
    case "prompt":
      return [];
    case "let":
      return [
        {
          kind: "capture",
          name: statement.name.name,
          prompt: sourcePromptName(statement.source),
          site: selection(statement.site),
          output: statement.exported,
        },
      ];
    case "patch": {
      const { site, source, target } = statement;
      return [
        {
          kind: "patch",
          sourcePrompt: source.prompt.name,
          source: selection(site, source.selectors),
          prompt: target.prompt.name,
          site: selection(site, target.selectors),
        },
      ];
    }
    case "add":
    case "set":
      return [
        {
          kind: statement.kind,
          prompt: statement.prompt.name,
          site: selection(statement.site),
          value: valueExpr(statement.value),
        },
      ];
    case "scale":
      return [
        {
          kind: "scale",
          prompt: statement.prompt.name,
          site: selection(statement.site),
          factor: valueExpr(statement.factor),
        },
      ];
    case "zero":
      return [{ kind: "zero", prompt: statement.prompt.name, site: selection(statement.site) }];
    case "mean":
      return [
        {
          kind: "mean",
          prompt: statement.prompt.name,
          site: selection(statement.site),
          over: statement.over.prompts.map((prompt) => prompt.name),
        },
      ];
    case "generate":
      return [
        {
          kind: "generate",
          prompt: statement.prompt.name,
          maxNewTokens: statement.count.value,
          sampling: sampling(statement.sampling),
          ...(statement.stop ? { stop: statement.stop.value } : {}),
          at: statement.range,
        },
      ];
  }
}

/**
 * The selection a site's selectors make, with `overrides` (a patch side's) replacing the site's own. Aliases
 * become their canonical site; each part records the range of the selector that set it, for model checks.
 */
function selection(site: SiteReference, overrides: Selector[] = []): SiteSelection {
  const spec = SITES.get(site.name.name);
  const selectors = effectiveSelectors(site.selectors, overrides);
  const layer = selectors.get("layer");
  const head = selectors.get("head");
  const positions = selectors.get("positions");
  if (spec === undefined || layer === undefined)
    throw new Error("buildPlan needs a checked program: a site is invalid");
  return {
    site: spec.site,
    layer: numberOf(layer) + spec.layerOffset,
    ...(head ? { head: numberOf(head) } : {}),
    positions: positionSpec(positions?.value),
    at: {
      site: site.name.range,
      ...(layer ? { layer: layer.range } : {}),
      ...(head ? { head: head.range } : {}),
      ...(positions ? { positions: positions.range } : {}),
    },
  };
}

function numberOf(selector: Selector): number {
  if (selector.value.kind !== "number") throw new Error(`buildPlan needs a checked program: ${selector.key.name}`);
  return selector.value.number.value;
}

function valueExpr(expression: Expression): ValueExpr {
  switch (expression.kind) {
    case "number":
      return { kind: "number", value: expression.number.value };
    case "capture":
      return { kind: "capture", name: expression.name.name };
    case "activation":
      return { kind: "activation", prompt: sourcePromptName(expression.source), site: selection(expression.site) };
    case "binary":
      return {
        kind: "binary",
        op: expression.operator,
        left: valueExpr(expression.left),
        right: valueExpr(expression.right),
      };
    case "negate": {
      const operand = valueExpr(expression.operand);
      // -0.5 is a number, not an operation on one.
      return operand.kind === "number" ? { kind: "number", value: -operand.value } : { kind: "negate", operand };
    }
  }
}

function sampling(clause: SamplingClause | undefined): SamplingSpec {
  if (clause === undefined) return { kind: "greedy" };
  const values = new Map<SamplingField, number>(
    clause.options.map((option) => [SAMPLING_OPTIONS.get(option.key.name)!.field, option.value.value]),
  );
  const topK = values.get("topK");
  const topP = values.get("topP");
  return {
    kind: "sample",
    temperature: values.get("temperature") ?? DEFAULT_TEMPERATURE,
    ...(topK === undefined ? {} : { topK }),
    ...(topP === undefined ? {} : { topP }),
    seed: values.get("seed") ?? DEFAULT_SEED,
  };
}
