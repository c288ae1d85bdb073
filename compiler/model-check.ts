// Checks a plan against a model's shape and its tokenized prompts, without running anything: every
// selection resolves to positions, every value has a shape that fits where it goes. The runtime executes
// from this analysis, so a plan that passes cannot fail on these grounds mid-generation.

import { createDiagnostic } from "./diagnostics.js";
import {
  checkSiteAgainstModel,
  locate,
  NOWHERE,
  resolvePositions,
  type ModelShape,
  type ResolvedRows,
  type SelectionRole,
  type TokenizedPrompt,
} from "./resolve.js";
import type { BoundPlan, Diagnostic, PlanStep, SiteSelection, SourceRange, ValueExpr } from "./types.js";

export interface ModelDimensions extends ModelShape {
  dModel: number;
  dFF: number;
  headDim: number;
  contextLength: number;
}

/** The shape of a value: a number, or `count` vectors of `width` (count 1 broadcasts). */
export type ValueShape = { kind: "scalar" } | { kind: "vectors"; count: number; width: number };

/** Values per position of a selection: one head's slice when a head is named, else the whole site. */
export function selectionWidth(selection: SiteSelection, model: ModelDimensions): number {
  switch (selection.site) {
    case "resid":
    case "attn_out":
    case "resid_mid":
    case "mlp_out":
      return model.dModel;
    case "mlp_hidden":
      return model.dFF;
    case "z":
    case "q":
      return selection.head === undefined ? model.nHeads * model.headDim : model.headDim;
    case "k":
    case "v":
      return selection.head === undefined ? model.nKvHeads * model.headDim : model.headDim;
  }
}

class PlanChecker {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    private readonly model: ModelDimensions,
    private readonly prompts: ReadonlyMap<string, TokenizedPrompt>,
  ) {}

  /** Resolves a selection on a prompt; undefined (with diagnostics recorded) when it does not fit. */
  private resolve(selection: SiteSelection, promptName: string, role: SelectionRole = "target"): ResolvedRows | undefined {
    const siteProblems = checkSiteAgainstModel(selection, this.model);
    this.diagnostics.push(...siteProblems);
    const prompt = this.prompts.get(promptName);
    if (!prompt || siteProblems.length > 0) return undefined;
    const resolved = resolvePositions(selection, prompt, promptName, role);
    if ("code" in resolved) {
      this.diagnostics.push(resolved);
      return undefined;
    }
    return resolved;
  }

  /** The shape of the activations a selection reads from a prompt's run. */
  private resolveSource(selection: SiteSelection, promptName: string): ValueShape | undefined {
    const rows = this.resolve(selection, promptName, "source");
    return rows && { kind: "vectors", count: rows.positions.length, width: selectionWidth(selection, this.model) };
  }

  private valueShape(expr: ValueExpr, captures: ReadonlyMap<string, ValueShape>, at: SourceRange): ValueShape | undefined {
    switch (expr.kind) {
      case "number":
        return { kind: "scalar" };
      case "capture":
        return captures.get(expr.name);
      case "activation":
        return this.resolveSource(expr.site, expr.prompt);
      case "negate":
        return this.valueShape(expr.operand, captures, at);
      case "binary": {
        const left = this.valueShape(expr.left, captures, at);
        const right = this.valueShape(expr.right, captures, at);
        if (!left || !right) return undefined;
        if (left.kind === "scalar") return right;
        if (right.kind === "scalar") return left;
        if (left.width !== right.width) {
          this.diagnostics.push(createDiagnostic("operandWidthMismatch", at, { left: left.width, right: right.width }));
          return undefined;
        }
        if (left.count !== right.count && left.count !== 1 && right.count !== 1) {
          this.diagnostics.push(createDiagnostic("unequalSpans", at, { left: left.count, right: right.count }));
          return undefined;
        }
        return { kind: "vectors", count: Math.max(left.count, right.count), width: left.width };
      }
    }
  }

  /** Whether a value of `shape` can be written to the target rows of `target`. */
  private checkFits(shape: ValueShape, target: SiteSelection, rows: ResolvedRows, at: SourceRange): void {
    if (shape.kind === "scalar") return;
    const width = selectionWidth(target, this.model);
    if (shape.width !== width) {
      this.diagnostics.push(createDiagnostic("widthMismatch", at, { left: shape.width, right: width }));
    } else if (shape.count !== 1 && rows.generated) {
      this.diagnostics.push(createDiagnostic("generatedNeedsOneVector", locate(target, "positions"), { count: shape.count }));
    } else if (shape.count !== 1 && shape.count !== rows.positions.length) {
      this.diagnostics.push(createDiagnostic("unequalSpans", at, { left: shape.count, right: rows.positions.length }));
    }
  }

  checkStep(step: PlanStep, captures: Map<string, ValueShape>): void {
    switch (step.kind) {
      case "capture": {
        const shape = this.resolveSource(step.site, step.prompt);
        if (shape) captures.set(step.name, shape);
        return;
      }
      case "generate": {
        const prompt = this.prompts.get(step.prompt);
        if (prompt && prompt.tokens.length + step.maxNewTokens > this.model.contextLength) {
          this.diagnostics.push(
            createDiagnostic("contextExceeded", step.at ?? NOWHERE, {
              prompt: step.prompt,
              promptTokens: prompt.tokens.length,
              newTokens: step.maxNewTokens,
              context: this.model.contextLength,
            }),
          );
        }
        return;
      }
      case "zero":
        this.resolve(step.site, step.prompt);
        return;
      case "patch": {
        const source = this.resolveSource(step.source, step.sourcePrompt);
        const rows = this.resolve(step.site, step.prompt);
        if (source && rows) this.checkFits(source, step.site, rows, locate(step.site, "positions"));
        return;
      }
      case "add":
      case "set":
      case "scale": {
        const rows = this.resolve(step.site, step.prompt);
        const at = locate(step.site, "positions");
        const shape = this.valueShape(step.kind === "scale" ? step.factor : step.value, captures, at);
        if (shape && rows) this.checkFits(shape, step.site, rows, at);
        return;
      }
      case "mean": {
        const rows = this.resolve(step.site, step.prompt);
        if (!rows) return;
        const at = locate(step.site, "positions");
        if (rows.generated) {
          this.diagnostics.push(createDiagnostic("meanOverGenerated", at, {}));
          return;
        }
        const last = Math.max(...rows.positions);
        for (const other of step.over) {
          const length = this.prompts.get(other)?.tokens.length ?? 0;
          if (last >= length) this.diagnostics.push(createDiagnostic("meanPromptTooShort", at, { prompt: other, length, position: last }));
        }
        return;
      }
    }
  }
}

/** Checks every step of `plan` against the model and the tokenized prompts (which must include every prompt). */
export function checkPlanAgainstModel(
  plan: BoundPlan,
  model: ModelDimensions,
  prompts: ReadonlyMap<string, TokenizedPrompt>,
): Diagnostic[] {
  const checker = new PlanChecker(model, prompts);
  const captures = new Map<string, ValueShape>();
  for (const step of plan.steps) checker.checkStep(step, captures);
  return checker.diagnostics;
}
