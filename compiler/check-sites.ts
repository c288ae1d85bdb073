// Checks of site selections that need no model: the site and selector names, the selector values, the layer
// every selection needs, and what literal positions already tell about a selection's use. Checks that need the
// model's shape or the tokenized prompts run later, on the plan (model-check.ts); where a problem is certain from
// the literals alone it is reported here already, with the same diagnostic. Values written as parameters are
// skipped here; check-params.ts applies these checks to the values the parameters take.

import { isName, repeats } from "../grammar/ast-queries.js";
import { createDiagnostic, diagnosticAt } from "../foundation/diagnostics.js";
import { didYouMeanOneOf } from "./edit-distance.js";
import { ANY_INTEGER, checkNumber, isWrittenAsInteger, NON_NEGATIVE_INTEGER } from "./numbers.js";
import type { SelectionRole } from "./resolve.js";
import { effectiveSelectors, SELECTOR_KEYS, SITES, type SelectionKey, type SiteSpec } from "./sites.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type {
  Identifier,
  NumberOrName,
  PatchStatement,
  Selector,
  SelectorValue,
  SiteReference,
} from "../grammar/ast.js";

/** A site used on one prompt, with the selectors that apply there (a patch side's overriding the site's). */
interface SiteUse {
  selectors: Map<SelectionKey, Selector>;
  role: SelectionRole;
  prompt: string;
}

/** Checks a site read (`source`) or written (`target`) on the prompt named `prompt`. */
export function checkSite(site: SiteReference, role: SelectionRole, prompt: string): Diagnostic[] {
  return checkSiteUses(site, [], [{ selectors: effectiveSelectors(site.selectors), role, prompt }]);
}

/** Checks a patch: its site, each side's overrides, and that the spans the two sides select fit each other. */
export function checkPatch(patch: PatchStatement): Diagnostic[] {
  const { site, source, target } = patch;
  const sourceSelectors = effectiveSelectors(site.selectors, source.selectors);
  const targetSelectors = effectiveSelectors(site.selectors, target.selectors);
  return [
    ...checkSiteUses(
      site,
      [source.selectors, target.selectors],
      [
        { selectors: sourceSelectors, role: "source", prompt: source.prompt.name },
        { selectors: targetSelectors, role: "target", prompt: target.prompt.name },
      ],
    ),
    ...checkPatchSpans(site, sourceSelectors.get("positions"), targetSelectors.get("positions")),
  ];
}

/**
 * Whether a selection of `positions` includes generated positions: `new`, `*`, or no `pos` at all. Only a
 * prompt's own generation has them.
 */
export function selectsGenerated(positions: Selector | undefined): boolean {
  return positions === undefined || positions.value.kind === "new" || positions.value.kind === "all";
}

function checkSiteUses(site: SiteReference, overrides: Selector[][], uses: SiteUse[]): Diagnostic[] {
  const spec = SITES.get(site.name.name);
  const diagnostics = spec ? [] : [unknownName("unknownSite", site.name, [...SITES.keys()], "sites")];
  for (const selectors of [site.selectors, ...overrides]) diagnostics.push(...checkSelectors(selectors, site, spec));
  // Reported once, at the site, even when neither side of a patch selects a layer.
  if (uses.some((use) => !use.selectors.has("layer"))) {
    diagnostics.push(diagnosticAt("missingLayer", site, "name", { site: site.name.name }));
  }
  for (const { selectors, role, prompt } of uses) {
    const positions = selectors.get("positions");
    if (role === "source" && positions?.value.kind === "new") {
      diagnostics.push(createDiagnostic("sourceHasNoGeneratedPositions", positions.range, { prompt }));
    }
  }
  return diagnostics;
}

/** Checks one bracketed list: names, repeats and values. */
function checkSelectors(selectors: Selector[], site: SiteReference, spec: SiteSpec | undefined): Diagnostic[] {
  const diagnostics = repeats(selectors, (selector) => SELECTOR_KEYS.get(selector.key.name)).map(({ repeat, first }) =>
    diagnosticAt("duplicateSelector", repeat, "key", { name: repeat.key.name }, [
      { message: `'${first.key.name}' is first selected here`, range: first.range },
    ]),
  );
  for (const selector of selectors) {
    const key = SELECTOR_KEYS.get(selector.key.name);
    if (key === undefined) {
      diagnostics.push(unknownName("unknownSelector", selector.key, [...SELECTOR_KEYS.keys()], "selectors"));
      continue;
    }
    if (key === "head" && spec && !spec.hasHeads) {
      diagnostics.push(createDiagnostic("headOnSiteWithoutHeads", selector.range, { site: site.name.name }));
    }
    if (key === "layer" && spec && spec.layerOffset !== 0 && selector.value.kind === "param") {
      diagnostics.push(diagnosticAt("paramLayerOfShiftedSite", selector, "value", { site: site.name.name }));
    }
    diagnostics.push(...(key === "positions" ? checkPositions(selector) : checkLayerOrHead(selector)));
  }
  return diagnostics;
}

/** `L` and `head` take a non-negative integer. */
function checkLayerOrHead(selector: Selector): Diagnostic[] {
  const { key, value } = selector;
  if (value.kind === "number") return checkNumber(key.name, value.number, NON_NEGATIVE_INTEGER);
  if (value.kind === "param") return [];
  return [diagnosticAt("expectedInteger", selector, "value", { name: key.name, value: describeValue(value) })];
}

/**
 * `pos` takes any of its forms, but numbers in it must be integers, a span known to run backwards is wrong, and so is
 * an empty text, which occurs everywhere and covers no token.
 */
function checkPositions(selector: Selector): Diagnostic[] {
  const { key, value } = selector;
  if (value.kind === "number") return checkNumber(key.name, value.number, ANY_INTEGER);
  if (value.kind === "text")
    return value.text.value === "" ? [diagnosticAt("emptyPositionText", value, "text", {})] : [];
  if (value.kind !== "span") return [];
  const { from, to } = value;
  const problems = [from, to].flatMap((end) => (isName(end) ? [] : checkNumber(key.name, end, ANY_INTEGER)));
  if (problems.length > 0 || isName(from) || isName(to)) return problems;
  if (countFromSameEnd(from.value, to.value) && from.value > to.value) {
    return [diagnosticAt("reversedRange", selector, "value", { from: from.value, to: to.value })];
  }
  return [];
}

/**
 * Whether both ends of a span count from the same end of the prompt: both from the start, or both back from the
 * last token. Only then does the span's length follow from the literal, whatever the prompt.
 */
function countFromSameEnd(from: number, to: number): boolean {
  return from < 0 === to < 0;
}

/**
 * How many positions a `pos=` value covers, when the literal alone tells: an index, or a span of integers that
 * count from the same end and do not run backwards (those that do are reported already).
 */
function literalSpanLength(value: SelectorValue): number | undefined {
  if (value.kind === "number") return isWrittenAsInteger(value.number) ? 1 : undefined;
  if (value.kind !== "span") return undefined;
  const { from, to } = value;
  if (isName(from) || isName(to)) return undefined;
  const isKnown =
    isWrittenAsInteger(from) &&
    isWrittenAsInteger(to) &&
    countFromSameEnd(from.value, to.value) &&
    from.value <= to.value;
  return isKnown ? to.value - from.value + 1 : undefined;
}

/**
 * A patch writes one source vector per target position, or a single source vector to every target position; so
 * several source vectors need as many target positions, and can't go to generated positions (which come one at
 * a time). The same rule as the model check's, applied where the literal spans tell the lengths already.
 */
function checkPatchSpans(
  site: SiteReference,
  sourcePositions: Selector | undefined,
  targetPositions: Selector | undefined,
): Diagnostic[] {
  if (sourcePositions === undefined) return [];
  const sourceLength = literalSpanLength(sourcePositions.value);
  if (sourceLength === undefined || sourceLength === 1) return [];
  const at = targetPositions?.range ?? site.name.range;
  if (targetPositions === undefined || selectsGenerated(targetPositions)) {
    return [createDiagnostic("generatedNeedsOneVector", at, { count: sourceLength })];
  }
  const targetLength = literalSpanLength(targetPositions.value);
  if (targetLength === undefined || targetLength === sourceLength) return [];
  return [
    createDiagnostic("unequalSpans", at, { left: sourceLength, right: targetLength }, [
      { message: `the source span of ${sourceLength} positions is selected here`, range: sourcePositions.range },
    ]),
  ];
}

/** A value as written, for messages. */
function describeValue(value: SelectorValue): string {
  switch (value.kind) {
    case "number":
      return value.number.text;
    case "span":
      return `${writtenAs(value.from)}..${writtenAs(value.to)}`;
    case "param":
      return value.name.name;
    case "text":
      return JSON.stringify(value.text.value);
    case "all":
      return "*";
    case "prompt":
    case "new":
      return value.kind;
  }
}

function writtenAs(value: NumberOrName): string {
  return isName(value) ? value.name : value.text;
}

function unknownName(
  name: "unknownSite" | "unknownSelector",
  identifier: Identifier,
  known: readonly string[],
  plural: string,
): Diagnostic {
  const suggestion = didYouMeanOneOf(identifier.name, known, plural);
  return createDiagnostic(name, identifier.range, { name: identifier.name, suggestion });
}
