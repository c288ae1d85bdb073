// Every check of a plan against a model: its shape (layers, heads, widths, context, the sites it has) and its
// tokenized prompts, without running anything. Every selection resolves to positions, every value has a shape
// that fits where it goes. Lint reports these diagnostics, and every run checks them before it starts, so a plan
// that passes cannot fail on these grounds mid-generation.

import { elementCount } from "../foundation/text.js";
import { createDiagnostic } from "../foundation/diagnostics.js";
import { describeBindings } from "../foundation/text.js";
import { sortByPosition } from "../foundation/diagnostics.js";
import {
  locate,
  NOWHERE,
  resolvePositions,
  resolvePositionSpec,
  type ResolvedRows,
  type SelectionRole,
  type TokenizedPrompt,
} from "./resolve.js";
import { ResultFootprint } from "./result-footprint.js";
import { SITES } from "./sites.js";
import type { BoundPlan, Metric, PlanStep, SiteName, SiteSelection, TokenRef, ValueExpr } from "./plan-ir.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { SourceRange } from "../foundation/source.js";
import { maxOf } from "../foundation/numbers.js";

/** What the checks need to know about a model: its shape, not its weights. */
export interface ModelShape {
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  /** The model's architecture, as diagnostics name it. */
  architecture?: string;
  /** Sites this architecture does not have, with the reason (resid_mid in a parallel-residual model). */
  absentSites?: ReadonlyMap<SiteName, string>;
  dModel: number;
  dFF: number;
  headDim: number;
  contextLength: number;
  vocabSize: number;
}

/** The tokens a measure's token text takes in context, with their pieces, by text (runtime: `tokenizeMetricTexts`). */
export type TokenizedTexts = ReadonlyMap<string, { ids: readonly number[]; pieces: readonly string[] }>;

/** The shape of a value: a number, or `count` vectors of `width` (count 1 broadcasts). */
export type ValueShape = { kind: "scalar" } | { kind: "vectors"; count: number; width: number };

/** The per-position shape of a site's activation (batch and sequence dimensions excluded). */
export function siteShape(site: SiteName, model: ModelShape): number[] {
  switch (site) {
    case "resid":
    case "attn_out":
    case "resid_mid":
    case "mlp_out":
      return [model.dModel];
    case "mlp_hidden":
      return [model.dFF];
    case "z":
    case "q":
      return [model.nHeads, model.headDim];
    case "k":
    case "v":
      return [model.nKvHeads, model.headDim];
  }
}

/** Values per position of a selection: one head's slice when a head is named, else the whole site. */
export function selectionWidth(selection: SiteSelection, model: ModelShape): number {
  if (selection.head !== undefined) return model.headDim;
  return elementCount(siteShape(selection.site, model));
}

/** Checks the layer and head of a selection against the model. */
function checkSite(selection: SiteSelection, model: ModelShape): Diagnostic[] {
  const layers = selection.site === "resid" ? model.nLayers + 1 : model.nLayers;
  const diagnostics: Diagnostic[] = [];
  const absence = model.absentSites?.get(selection.site);
  if (absence !== undefined) {
    const written = selection.at?.alias ?? selection.site;
    const architecture = model.architecture ?? "this architecture";
    return [
      createDiagnostic("siteAbsent", selection.at?.site ?? NOWHERE, { site: written, architecture, reason: absence }),
    ];
  }
  if (selection.layer < 0 || selection.layer >= layers) {
    // Report in the terms the user wrote: resid_post[L=5] is resid layer 6, but the message says L=5.
    const written = selection.at?.alias ?? selection.site;
    const offset = SITES.get(written)?.layerOffset ?? 0;
    diagnostics.push(
      createDiagnostic("layerOutOfRange", locate(selection, "layer"), {
        site: written,
        layer: selection.layer - offset,
        max: layers - 1 - offset,
      }),
    );
  }
  if (selection.head !== undefined) {
    const heads = selection.site === "k" || selection.site === "v" ? model.nKvHeads : model.nHeads;
    if (selection.head < 0 || selection.head >= heads) {
      diagnostics.push(
        createDiagnostic("headOutOfRange", locate(selection, "head"), {
          site: selection.site,
          head: selection.head,
          max: heads - 1,
        }),
      );
    }
  }
  return diagnostics;
}

const OVERRIDING_KINDS: ReadonlySet<PlanStep["kind"]> = new Set(["patch", "set", "zero", "mean"]);

interface WrittenIntervention {
  kind: PlanStep["kind"];
  site: SiteSelection;
  rows: ResolvedRows;
}

/** Whether two interventions touch a common value: same site, overlapping heads and positions. */
function overlap(a: WrittenIntervention, site: SiteSelection, rows: ResolvedRows): boolean {
  if (a.site.site !== site.site || a.site.layer !== site.layer) return false;
  if (a.site.head !== undefined && site.head !== undefined && a.site.head !== site.head) return false;
  return (a.rows.generated && rows.generated) || a.rows.positions.some((p) => rows.positions.includes(p));
}

interface WriteIndex {
  byPosition: Map<number, { order: number; written: WrittenIntervention }[]>;
  generated: { order: number; written: WrittenIntervention }[];
}

/**
 * Finds interventions that a later one wholly replaces before anything has read them: a patch, set, zero or
 * mean on the same site and position makes the earlier intervention there pointless (a capture, source run or
 * generation in between would still see it, so reads reset the record).
 */
class OverrideTracker {
  /**
   * Unread writes by prompt, then by site and layer, then by position (and those that touch generated tokens):
   * a write meets only the earlier ones it could overlap, so a file of 100k interventions checks in linear time.
   */
  private readonly unread = new Map<string, Map<string, WriteIndex>>();
  private written = 0;

  read(prompt: string): void {
    this.unread.delete(prompt);
  }

  /** The earliest unread write that `written` overlaps, if any; then records `written`. */
  private earliestOverlap(prompt: string, written: WrittenIntervention): WrittenIntervention | undefined {
    const sites = this.unread.get(prompt) ?? new Map<string, WriteIndex>();
    this.unread.set(prompt, sites);
    const key = `${written.site.site}\u0000${written.site.layer}`;
    const index: WriteIndex = sites.get(key) ?? { byPosition: new Map(), generated: [] };
    sites.set(key, index);
    // Each list is in write order, so its first overlapping entry is its earliest: scanning stops there (a file
    // of one patch repeated meets one entry per write, not all of them).
    let earliest: { order: number; written: WrittenIntervention } | undefined;
    const lists = [
      written.rows.generated ? index.generated : [],
      ...written.rows.positions.map((p) => index.byPosition.get(p) ?? []),
    ];
    for (const list of lists) {
      for (const candidate of list) {
        if (earliest && candidate.order >= earliest.order) break;
        if (overlap(candidate.written, written.site, written.rows)) {
          earliest = candidate;
          break;
        }
      }
    }
    const entry = { order: this.written++, written };
    if (written.rows.generated) index.generated.push(entry);
    for (const p of new Set(written.rows.positions)) {
      const atPosition = index.byPosition.get(p);
      if (atPosition) atPosition.push(entry);
      else index.byPosition.set(p, [entry]);
    }
    return earliest?.written;
  }

  write(prompt: string, written: WrittenIntervention): Diagnostic | undefined {
    const earlier = this.earliestOverlap(prompt, written);
    const hidden = OVERRIDING_KINDS.has(written.kind) ? earlier : undefined;
    if (!hidden) return undefined;
    return createDiagnostic(
      "overriddenIntervention",
      locate(written.site, "positions"),
      { kind: written.kind, earlier: hidden.kind },
      [{ message: `the earlier ${hidden.kind} is here`, range: locate(hidden.site, "positions") }],
    );
  }
}

class PlanChecker {
  readonly diagnostics: Diagnostic[] = [];
  private readonly overrides = new OverrideTracker();

  constructor(
    private readonly model: ModelShape,
    private readonly prompts: ReadonlyMap<string, TokenizedPrompt>,
    private readonly texts: TokenizedTexts,
    private readonly footprint: ResultFootprint,
  ) {}

  /** Every token a metric names must be one token of the vocabulary. */
  private checkMetric(metric: Metric, at: SourceRange): void {
    const tokens = metricTokens(metric);
    for (const token of tokens) {
      const where = token.at ?? at;
      if ("id" in token) {
        if (token.id >= this.model.vocabSize) {
          this.diagnostics.push(
            createDiagnostic("tokenIdOutOfRange", where, { id: token.id, last: this.model.vocabSize - 1 }),
          );
        }
        continue;
      }
      const tokenized = this.texts.get(token.text);
      if (tokenized === undefined || tokenized.ids.length === 1) continue;
      this.diagnostics.push(
        createDiagnostic("notOneToken", where, {
          text: JSON.stringify(token.text),
          count: tokenized.ids.length === 0 ? "no tokens" : `${tokenized.ids.length} tokens`,
          pieces:
            tokenized.pieces.map((piece, i) => `${JSON.stringify(piece)} #${tokenized.ids[i]}`).join(", ") || "none",
          firstId: tokenized.ids[0] ?? 0,
        }),
      );
    }
    if (metric.kind === "kl") this.overrides.read(metric.prompt);
  }

  /** Resolves a selection on a prompt; undefined (with diagnostics recorded) when it does not fit. */
  private resolve(
    selection: SiteSelection,
    promptName: string,
    role: SelectionRole = "target",
  ): ResolvedRows | undefined {
    const siteProblems = checkSite(selection, this.model);
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
    this.overrides.read(promptName);
    const rows = this.resolve(selection, promptName, "source");
    return rows && { kind: "vectors", count: rows.positions.length, width: selectionWidth(selection, this.model) };
  }

  private valueShape(
    expr: ValueExpr,
    captures: ReadonlyMap<string, ValueShape>,
    at: SourceRange,
  ): ValueShape | undefined {
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
      this.diagnostics.push(
        createDiagnostic("generatedNeedsOneVector", locate(target, "positions"), { count: shape.count }),
      );
    } else if (shape.count !== 1 && shape.count !== rows.positions.length) {
      this.diagnostics.push(createDiagnostic("unequalSpans", at, { left: shape.count, right: rows.positions.length }));
    }
  }

  private recordWrite(step: Extract<PlanStep, { prompt: string; site: SiteSelection }>, rows: ResolvedRows): void {
    const diagnostic = this.overrides.write(step.prompt, { kind: step.kind, site: step.site, rows });
    if (diagnostic) this.diagnostics.push(diagnostic);
  }

  checkStep(step: PlanStep, captures: Map<string, ValueShape>): void {
    this.checkShapes(step, captures);
    const prompt = this.prompts.get(step.prompt);
    this.footprint.add(step, prompt?.tokens.length ?? 0, step.kind === "capture" ? captures.get(step.name) : undefined);
  }

  private checkShapes(step: PlanStep, captures: Map<string, ValueShape>): void {
    switch (step.kind) {
      case "capture": {
        const shape = this.resolveSource(step.site, step.prompt);
        if (shape) captures.set(step.name, shape);
        return;
      }
      case "measure": {
        this.overrides.read(step.prompt);
        this.checkMetric(step.metric, step.at ?? NOWHERE);
        // The position is read on the measured prompt and on those its metric compares against.
        for (const name of [step.prompt, ...metricPromptNames(step.metric)]) {
          const prompt = this.prompts.get(name);
          if (!prompt || !step.position) continue;
          const rows = resolvePositionSpec(step.position, step.at ?? NOWHERE, prompt, name, "source");
          if ("code" in rows) this.diagnostics.push(rows);
        }
        return;
      }
      case "generate": {
        this.overrides.read(step.prompt);
        for (const measure of step.measures ?? []) {
          this.checkMetric(measure.metric, measure.at ?? NOWHERE);
          if (typeof measure.step === "number" && measure.step >= step.maxNewTokens) {
            this.diagnostics.push(
              createDiagnostic("stepNeverReached", measure.at ?? NOWHERE, {
                step: measure.step,
                count: step.maxNewTokens,
                last: step.maxNewTokens - 1,
              }),
            );
          }
        }
        const prompt = this.prompts.get(step.prompt);
        if (prompt && prompt.tokens.length + step.maxNewTokens > this.model.contextLength) {
          this.diagnostics.push(
            createDiagnostic("contextExceeded", step.at ?? NOWHERE, {
              prompt: step.prompt,
              newTokens: step.maxNewTokens,
              total: prompt.tokens.length + step.maxNewTokens,
              context: this.model.contextLength,
            }),
          );
        }
        return;
      }
      case "zero": {
        const rows = this.resolve(step.site, step.prompt);
        if (rows) this.recordWrite(step, rows);
        return;
      }
      case "patch": {
        const source = this.resolveSource(step.source, step.sourcePrompt);
        const rows = this.resolve(step.site, step.prompt);
        if (source && rows) this.checkFits(source, step.site, rows, locate(step.site, "positions"));
        if (rows) this.recordWrite(step, rows);
        return;
      }
      case "add":
      case "set":
      case "scale": {
        const rows = this.resolve(step.site, step.prompt);
        const at = locate(step.site, "positions");
        const shape = this.valueShape(step.kind === "scale" ? step.factor : step.value, captures, at);
        if (shape && rows) this.checkFits(shape, step.site, rows, at);
        if (rows) this.recordWrite(step, rows);
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
        step.over.forEach((other) => this.overrides.read(other));
        this.recordWrite(step, rows);
        const last = maxOf(rows.positions);
        for (const other of step.over) {
          const length = this.prompts.get(other)?.tokens.length ?? 0;
          if (last >= length)
            this.diagnostics.push(
              createDiagnostic("meanPromptTooShort", at, { prompt: other, last: length - 1, position: last }),
            );
        }
        return;
      }
    }
  }
}

/** Checks every step of `plan` against the model and the tokenized prompts (which must include every prompt). */
export function checkPlanOnModel(
  plan: BoundPlan,
  model: ModelShape,
  prompts: ReadonlyMap<string, TokenizedPrompt>,
  texts: TokenizedTexts = new Map(),
  footprint = new ResultFootprint(),
): Diagnostic[] {
  const checker = new PlanChecker(model, prompts, texts, footprint);
  const captures = new Map<string, ValueShape>();
  for (const step of plan.steps) checker.checkStep(step, captures);
  footprint.nextPoint();
  return checker.diagnostics;
}

/**
 * Checks every point of a sweep grid, `prompts[i]` being point i's tokenized prompts. Each diagnostic is reported
 * once; one that occurs at only some points says at which (the first), e.g. "layer 6 is out of range … (when l = 6)".
 */
export function checkSweepOnModel(
  points: readonly BoundPlan[],
  model: ModelShape,
  prompts: readonly ReadonlyMap<string, TokenizedPrompt>[],
  texts: TokenizedTexts = new Map(),
): Diagnostic[] {
  // A file of 100k statements may have as many diagnostics: one small key and entry each.
  const found = new Map<string, { diagnostic: Diagnostic; atPoints: number; lastPoint: number; bindings: string }>();
  const footprint = new ResultFootprint();
  points.forEach((bound, point) => {
    const bindings = describeBindings(Object.entries(bound.bindings));
    for (const diagnostic of checkPlanOnModel(bound, model, prompts[point]!, texts, footprint)) {
      const { start, end } = diagnostic.range;
      const key = `${diagnostic.code} ${start.offset} ${end.offset} ${diagnostic.message}`;
      const entry = found.get(key);
      if (entry === undefined) found.set(key, { diagnostic, atPoints: 1, lastPoint: point, bindings });
      else if (entry.lastPoint !== point) {
        entry.atPoints++;
        entry.lastPoint = point;
      }
    }
  });
  const tooLarge = footprint.diagnostic();
  return sortByPosition([
    ...[...found.values()].map(({ diagnostic, atPoints, bindings }) =>
      atPoints === points.length ? diagnostic : { ...diagnostic, message: `${diagnostic.message} (when ${bindings})` },
    ),
    ...(tooLarge ? [tooLarge] : []),
  ]);
}

/** The tokens a metric names, inner metrics included. */
export function metricTokens(metric: Metric): TokenRef[] {
  switch (metric.kind) {
    case "logit":
    case "prob":
    case "logprob":
    case "rank":
      return [metric.token];
    case "logit_diff":
      return [metric.a, metric.b];
    case "normalized":
      return metricTokens(metric.metric);
    case "topk":
    case "entropy":
    case "kl":
    case "contains":
      return [];
  }
}

/** The prompts a metric compares against: kl's, and normalized's clean and corrupt. */
export function metricPromptNames(metric: Metric): string[] {
  if (metric.kind === "kl") return [metric.prompt];
  if (metric.kind === "normalized") return [metric.clean, metric.corrupt];
  return [];
}
