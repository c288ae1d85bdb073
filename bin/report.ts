// `ptch run --report OUT.html`: one self-contained page (no requests, styles inline, no scripts) with the source
// and plan, each run's prompt tokens (intervened positions marked) and text, the measures, and for sweeps a heatmap
// of one measure as SVG over the sweep variables, token pieces on a position axis.

import { GENERATED_REPORT_HEADER } from "../compiler/generated-header.js";
import type { MeasureResult, ParamValue, Plan, RunResult } from "../compiler/plan-ir.js";
import { planWithoutLocations } from "../compiler/plan-json.js";
import { describeBindings } from "../foundation/text.js";
import { formatMeasureValue, measureGrid, runHeading } from "./run-text.js";

export interface ReportInput {
  source: { name: string; text: string };
  plan: Plan;
  result: RunResult;
  /** The measure the heatmaps show; the first measure of one number per point when absent. */
  measure?: string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #1b1b1b; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ddd; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
table { border-collapse: collapse; } td, th { padding: 0.2em 0.7em; border-bottom: 1px solid #eee; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.run { margin: 1em 0; } .heading { font-weight: 600; }
.tok { display: inline-block; margin: 1px; padding: 0 3px; border: 1px solid #ccc; border-radius: 3px; font-family: monospace; }
.tok sub { color: #888; } .tok.hit { background: #ffd27a; border-color: #e0a030; }
.text { white-space: pre-wrap; font-family: Georgia, serif; }
svg text { font: 11px system-ui, sans-serif; }
`;

/** A colour for t in [0, 1]: light yellow through orange to dark purple (a sequential scale that prints well). */
function colour(t: number): string {
  const stops = [
    [255, 255, 204],
    [254, 178, 76],
    [240, 59, 32],
    [128, 0, 120],
    [40, 0, 70],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k]! - v) * f)).join(",")})`;
}

/** The sweep variables a plan uses as a position (`pos=p`), whose axis is labelled with the prompt's pieces. */
function positionVariables(plan: Plan): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown, inPositions: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, inPositions));
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (inPositions && key === "param" && typeof value === "string") found.add(value);
      visit(value, inPositions || key === "positions" || key === "position");
    }
  };
  visit(plan.steps, false);
  return found;
}

/** A heatmap of one measure over one or two sweep variables: one cell per point, with a colour scale. */
export function heatmapSvg(
  measures: readonly MeasureResult[],
  variables: string[],
  pieces?: Map<string, string[]>,
): string {
  const { rowVar, colVar, rows, cols, at, low, high, scale } = measureGrid(measures, variables);
  const label = (variable: string | undefined, value: ParamValue | undefined) => {
    if (variable === undefined || value === undefined) return "";
    const piece = pieces?.get(variable)?.at(value as number);
    return piece === undefined ? String(value) : `${value} ${piece}`;
  };
  const cell = 28;
  const left = 16 + 7 * Math.max(rowVar.length, ...rows.map((r) => label(rowVar, r).length));
  const top = 20 + 6.5 * Math.max(1, ...cols.map((c) => label(colVar, c).length));
  const width = left + cols.length * cell + 110;
  const height = Math.max(top + rows.length * cell + 30, top + 180);
  const parts: string[] = [];
  cols.forEach((c, j) => {
    const x = left + j * cell + cell / 2;
    parts.push(`<text transform="translate(${x},${top - 6}) rotate(-60)">${escapeHtml(label(colVar, c))}</text>`);
  });
  rows.forEach((r, i) => {
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escapeHtml(label(rowVar, r))}</text>`,
    );
    cols.forEach((c, j) => {
      const m = at(r, c);
      if (!m) return;
      const v = m.value as number;
      const fill = Number.isFinite(v) ? colour(scale(v)) : "#ccc";
      const where = describeBindings([[rowVar, r], ...(colVar ? [[colVar, c!] as const] : [])]);
      parts.push(
        `<rect class="cell" x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"><title>${escapeHtml(`${where}: ${formatMeasureValue(v)}`)}</title></rect>`,
      );
    });
  });
  // The colour scale, with its ends and middle.
  const scaleX = left + cols.length * cell + 24;
  const steps = 20;
  for (let k = 0; k < steps; k++) {
    const y = top + k * (150 / steps);
    parts.push(
      `<rect class="scale" x="${scaleX}" y="${y}" width="14" height="${150 / steps + 0.5}" fill="${colour(1 - k / (steps - 1))}"/>`,
    );
  }
  [high, (high + low) / 2, low].forEach((v, k) => {
    parts.push(`<text x="${scaleX + 20}" y="${top + k * 75 + 4}">${escapeHtml(formatMeasureValue(v))}</text>`);
  });
  parts.push(`<text x="4" y="12">${escapeHtml(rowVar)} ↓${colVar ? `, ${escapeHtml(colVar)} →` : ""}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" class="heatmap" width="${width}" height="${height}" role="img">${parts.join("")}</svg>`;
}

export function reportHtml({ source, plan, result, measure }: ReportInput): string {
  const measures = result.measures ?? [];
  const variables = plan.sweeps.map((s) => s.name);
  const numericNames = [...new Set(measures.map((m) => m.name))].filter((name) =>
    measures.filter((m) => m.name === name).every((m) => typeof m.value === "number"),
  );
  const shown = measure ?? numericNames[0];
  const sections: string[] = [];
  sections.push(`<h1>${escapeHtml(source.name)}</h1>`);
  if (shown !== undefined && variables.length >= 1 && variables.length <= 2) {
    const ofName = measures.filter((m) => m.name === shown);
    const runOf = result.runs.find((r) => r.prompt === ofName[0]?.prompt) ?? result.runs[0];
    const positional = positionVariables(plan);
    const pieces = new Map(variables.filter((v) => positional.has(v)).map((v) => [v, runOf?.promptPieces ?? []]));
    sections.push(`<h2>Heatmap: ${escapeHtml(shown)}</h2>`, heatmapSvg(ofName, variables, pieces));
  }
  if (measures.length > 0) {
    const header = ["measure", "prompt", "metric", ...variables, "value"]
      .map((h) => `<th>${escapeHtml(h)}</th>`)
      .join("");
    const rows = measures.map(
      (m) =>
        `<tr><td>${escapeHtml(m.name)}</td><td>${escapeHtml(m.prompt)}</td><td><code>${escapeHtml(m.metric)}</code></td>${variables
          .map((v) => `<td class="n">${escapeHtml(String(m.bindings[v] ?? ""))}</td>`)
          .join("")}<td class="n">${escapeHtml(formatMeasureValue(m.value))}</td></tr>`,
    );
    sections.push(`<h2>Measures</h2><table><tr>${header}</tr>${rows.join("")}</table>`);
  }
  if (result.runs.length > 0) {
    sections.push(`<h2>Runs</h2>`);
    for (const run of result.runs) {
      const marked = new Set(run.intervened.positions);
      const tokens = run.promptPieces
        .map((piece, i) => `<span class="tok${marked.has(i) ? " hit" : ""}">${escapeHtml(piece)}<sub>${i}</sub></span>`)
        .join("");
      sections.push(
        `<div class="run"><div class="heading">${escapeHtml(runHeading(run))}</div><div>${tokens}</div><div class="text">${escapeHtml(run.text)}</div></div>`,
      );
    }
  }
  sections.push(`<h2>Source</h2><pre>${escapeHtml(source.text)}</pre>`);
  sections.push(`<h2>Plan</h2><pre>${escapeHtml(JSON.stringify(planWithoutLocations(plan), null, 2))}</pre>`);
  return `<!doctype html>
${GENERATED_REPORT_HEADER} run --report from ${escapeHtml(source.name).replace(/--/g, "- -")}. -->
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(source.name)} · ptch report</title><style>${STYLE}</style></head>
<body>${sections.join("\n")}</body></html>
`;
}
