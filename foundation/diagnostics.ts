// The one catalogue of diagnostics. Every problem a stage reports is created from an entry here, so codes,
// severities and wording stay consistent and documentation can be generated from this table.
// Code ranges: 1xxx syntax, 2xxx names and resolution, 3xxx semantic and model checks.
// Codes are public (users search for them): never renumber or reuse one, only add.

import type { SourceRange } from "./source.js";

export type Severity = "error" | "warning";

/** A problem found in user input. Stages return these as data; they never throw on user input. */
export interface Diagnostic {
  /** `PTCH####`, from the catalogue below. */
  code: string;
  severity: Severity;
  message: string;
  range: SourceRange;
  related?: { message: string; range: SourceRange }[];
}

interface DiagnosticSpec {
  code: `PTCH${number}`;
  severity: Severity;
  /** `{name}` placeholders are filled from the arguments; the placeholder names type-check at call sites. */
  message: string;
}

export const DIAGNOSTICS = {
  // 1xxx syntax
  expectedToken: {
    code: "PTCH1001",
    severity: "error",
    message: "expected {expected} after {previous}, found {found}",
  },
  expectedStatement: {
    code: "PTCH1002",
    severity: "error",
    message:
      "expected a statement (model, prompt, param, sweep, let, export let, patch, add, set, scale, zero, mean, generate or measure), found {found}",
  },
  missingStatementSeparator: {
    code: "PTCH1003",
    severity: "error",
    message: "expected a newline or ';' after the statement, found {found}",
  },
  reservedWord: {
    code: "PTCH1004",
    severity: "error",
    message: "'{word}' is a reserved word and can't be used as a name",
  },
  unexpectedCharacter: { code: "PTCH1005", severity: "error", message: "unexpected character {character}" },
  unterminatedString: {
    code: "PTCH1006",
    severity: "error",
    message: 'unterminated string: close it with " before the end of the line (write \\n for a line break)',
  },
  unknownEscape: {
    code: "PTCH1007",
    severity: "error",
    message:
      'unknown escape {escape} in string; the escapes are \\" \\\\ \\n \\t and \\u followed by hex digits in braces',
  },
  malformedUnicodeEscape: {
    code: "PTCH1008",
    severity: "error",
    message: "malformed unicode escape {escape}; write \\u followed by 1 to 6 hex digits in braces",
  },
  invalidCodePoint: {
    code: "PTCH1009",
    severity: "error",
    message: "{escape} is not a Unicode scalar value (it must be at most 10FFFF and not a surrogate D800-DFFF)",
  },
  expressionTooDeep: {
    code: "PTCH1010",
    severity: "error",
    message: "parentheses nest more than {max} deep in this statement",
  },
  expressionTooLong: {
    code: "PTCH1011",
    severity: "error",
    message: "this value has more than {max} operators (+ - * /, signs included)",
  },

  // 2xxx names and resolution
  undefinedPrompt: { code: "PTCH2001", severity: "error", message: "no prompt named '{name}'{suggestion}" },
  duplicatePrompt: { code: "PTCH2002", severity: "error", message: "prompt '{name}' is already defined" },
  unusedPrompt: { code: "PTCH2003", severity: "warning", message: "prompt '{name}' is never used" },
  unknownSite: { code: "PTCH2004", severity: "error", message: "unknown site '{name}'{suggestion}" },
  unknownSelector: { code: "PTCH2005", severity: "error", message: "unknown selector '{name}'{suggestion}" },
  duplicateSelector: { code: "PTCH2006", severity: "error", message: "'{name}' is already selected" },
  undefinedCapture: { code: "PTCH2007", severity: "error", message: "no capture named '{name}'{suggestion}" },
  captureUsedBeforeDefinition: {
    code: "PTCH2008",
    severity: "error",
    message: "capture '{name}' is used before it is defined; statements run in the order they are written",
  },
  duplicateCapture: { code: "PTCH2009", severity: "error", message: "capture '{name}' is already defined" },
  captureNamedAsPrompt: {
    code: "PTCH2010",
    severity: "error",
    message: "'{name}' is already the name of a prompt; give the capture another name",
  },
  unusedCapture: {
    code: "PTCH2011",
    severity: "warning",
    message: "capture '{name}' is never used; use it in a value, or write 'export let' to output it",
  },
  unknownSamplingOption: {
    code: "PTCH2012",
    severity: "error",
    message: "unknown sampling option '{name}'{suggestion}",
  },
  duplicateSamplingOption: { code: "PTCH2013", severity: "error", message: "'{name}' is already set" },
  undefinedParam: { code: "PTCH2014", severity: "error", message: "no parameter named '{name}'{suggestion}" },
  duplicateParam: { code: "PTCH2015", severity: "error", message: "'{name}' is already declared" },
  paramNameTaken: {
    code: "PTCH2016",
    severity: "error",
    message: "'{name}' is already the name of a {other}; give the {kind} another name",
  },
  unusedParam: { code: "PTCH2017", severity: "warning", message: "{kind} '{name}' is never used" },
  unknownMetric: { code: "PTCH2018", severity: "error", message: "unknown metric '{name}'{suggestion}" },
  duplicateMeasure: { code: "PTCH2019", severity: "error", message: "measure '{name}' is defined twice" },

  // 3xxx semantic and model checks
  missingModel: {
    code: "PTCH3001",
    severity: "error",
    message: 'missing model statement; add one such as: model "stories260K"',
  },
  duplicateModel: { code: "PTCH3002", severity: "error", message: "only one model statement is allowed" },
  nonPositiveGenerateCount: {
    code: "PTCH3003",
    severity: "error",
    message: "generate count must be at least 1, got {count}",
  },
  missingGenerate: {
    code: "PTCH3004",
    severity: "error",
    message:
      "nothing to run: add a generate statement such as: generate 60 from <prompt name>, a measure, or export a capture with export let",
  },
  expectedInteger: { code: "PTCH3005", severity: "error", message: "{name} must be an integer, got {value}" },
  valueOutOfRange: { code: "PTCH3006", severity: "error", message: "{name} must be {bound}, got {value}" },
  missingLayer: {
    code: "PTCH3007",
    severity: "error",
    message: "no layer selected for {site}: add a selector such as L=0",
  },
  headOnSiteWithoutHeads: {
    code: "PTCH3008",
    severity: "error",
    message: "{site} has no heads; only z, q, k and v take head=",
  },
  meanOverTarget: {
    code: "PTCH3009",
    severity: "error",
    message: "'{prompt}' is the prompt being ablated; mean over other prompts",
  },
  meanOverNothing: {
    code: "PTCH3010",
    severity: "error",
    message: "no prompts to average over: list them after 'over', separated by commas",
  },
  emptyStopText: {
    code: "PTCH3011",
    severity: "error",
    message: "the stop text is empty, so generation would stop after the first token",
  },
  paramTypeMismatch: {
    code: "PTCH3012",
    severity: "error",
    message: "'{name}' is {declared}, but {use} must be {expected}",
  },
  paramLayerOfShiftedSite: {
    code: "PTCH3013",
    severity: "error",
    message:
      "the layer of {site} can't be a parameter: {site}[L=n] is resid[L=n+1], which a plan can't express; select resid[L=…] instead",
  },
  reversedSweepRange: {
    code: "PTCH3014",
    severity: "error",
    message: "sweep range {from}..{to} runs backwards, so it has no values",
  },
  emptySweep: { code: "PTCH3015", severity: "error", message: "a sweep needs at least one value" },
  mixedSweepValues: {
    code: "PTCH3016",
    severity: "error",
    message: "a sweep's values must be all numbers or all strings: {value} is {type}, but {first} is {firstType}",
  },
  duplicateSweepValue: {
    code: "PTCH3017",
    severity: "warning",
    message: "{value} is already in the sweep, so its runs repeat",
  },
  sweepTooLarge: {
    code: "PTCH3018",
    severity: "error",
    message: "a sweep of {count} values is too large; a sweep has at most {max}",
  },
  sweepGridTooLarge: {
    code: "PTCH3019",
    severity: "error",
    message: "with this sweep, the sweeps make {count} runs; the sweeps of a file make at most {max}",
  },
  nonFiniteValue: {
    code: "PTCH3020",
    severity: "error",
    message: "this computes to {result}; a value must be finite as a 32-bit float (at most about 3.4e38 in size)",
  },
  emptyPositionText: {
    code: "PTCH3021",
    severity: "error",
    message: 'an empty text selects no tokens; give the text to select, such as pos="Lily"',
  },
  metricArguments: { code: "PTCH3022", severity: "error", message: "{metric} takes {signature}: {problem}" },
  misplacedMetric: { code: "PTCH3023", severity: "error", message: "{problem}" },
  measureAt: { code: "PTCH3024", severity: "error", message: "{problem}" },
  interventionAfterLastRead: {
    code: "PTCH3025",
    severity: "warning",
    message:
      "this {kind} on '{prompt}' changes nothing: no generate, measure or read of '{prompt}' comes after it; move it above the statement it should act on",
  },

  // 31xx checks against the loaded model and the tokenized prompts
  layerOutOfRange: {
    code: "PTCH3101",
    severity: "error",
    message: "layer {layer} is out of range for {site}: this model has layers 0..{max}",
  },
  headOutOfRange: {
    code: "PTCH3102",
    severity: "error",
    message: "head {head} is out of range for {site}: this model has heads 0..{max}",
  },
  positionOutsidePrompt: {
    code: "PTCH3103",
    severity: "error",
    message:
      "position {position} is outside prompt '{prompt}', whose positions are 0..{last} (or -{length}..-1 from the end)",
  },
  reversedRange: { code: "PTCH3104", severity: "error", message: "position range {from}..{to} runs backwards" },
  textNotInPrompt: { code: "PTCH3105", severity: "error", message: "text {text} does not occur in prompt '{prompt}'" },
  unequalSpans: {
    code: "PTCH3106",
    severity: "error",
    message: "spans of unequal length: {left} positions against {right}",
  },
  widthMismatch: {
    code: "PTCH3107",
    severity: "error",
    message: "vectors of width {left} do not fit a site of width {right}",
  },

  generatedNeedsOneVector: {
    code: "PTCH3108",
    severity: "error",
    message:
      "generated positions take a single vector, but the value has {count}; select prompt positions with pos=prompt or a span, or use a single source position",
  },
  sourceHasNoGeneratedPositions: {
    code: "PTCH3109",
    severity: "error",
    message:
      "activations are read from a prefill run of '{prompt}', which has no generated positions; select generated positions on the target instead (… into Q[pos=new])",
  },
  meanOverGenerated: {
    code: "PTCH3110",
    severity: "error",
    message:
      "mean ablation needs the other prompts' activations at each position; generated positions have none (use pos=prompt)",
  },
  meanPromptTooShort: {
    code: "PTCH3111",
    severity: "error",
    message: "prompt '{prompt}' ends at position {last}, so it has no activation at position {position}",
  },
  contextExceeded: {
    code: "PTCH3112",
    severity: "error",
    message:
      "prompt '{prompt}' and {newTokens} new tokens need {total} positions, more than the model's context of {context}",
  },

  modelUnavailable: {
    code: "PTCH3113",
    severity: "error",
    message: "cannot open the model: {reason}",
  },
  operandWidthMismatch: {
    code: "PTCH3114",
    severity: "error",
    message: "cannot combine vectors of width {left} and {right} in one value",
  },
  overriddenIntervention: {
    code: "PTCH3115",
    severity: "warning",
    message:
      "this {kind} replaces what an earlier {earlier} wrote at the same site and position before anything read it, so that {earlier} has no effect there",
  },
  siteAbsent: {
    code: "PTCH3116",
    severity: "error",
    message: "{architecture} has no {site}: {reason}",
  },
  notOneToken: {
    code: "PTCH3117",
    severity: "error",
    message:
      "{text} is not one token of this model's vocabulary: it takes {count} ({pieces}); measure one of them, or give an id such as #{firstId}",
  },
  tokenIdOutOfRange: {
    code: "PTCH3118",
    severity: "error",
    message: "token #{id} is not in the vocabulary, whose ids are 0..{last}",
  },
  stepNeverReached: {
    code: "PTCH3119",
    severity: "error",
    message: "step={step} is never reached: this generate makes at most {count} tokens, steps 0..{last}",
  },
  resultsTooLarge: {
    code: "PTCH3120",
    severity: "error",
    message:
      "the run's results would take about {size} ({generations} generations of {tokens} tokens, {values} exported values), more than the {max} a run may hold, past it at this statement: run part of the sweeps at a time (--set) or split the file",
  },
} as const satisfies Record<string, DiagnosticSpec>;

export type DiagnosticName = keyof typeof DIAGNOSTICS;

/** The placeholder names in a message template, e.g. "expected {expected}, found {found}" → "expected" | "found". */
type Placeholders<Template extends string> = Template extends `${string}{${infer Name}}${infer Rest}`
  ? Name | Placeholders<Rest>
  : never;

export type DiagnosticArgs<Name extends DiagnosticName> = Record<
  Placeholders<(typeof DIAGNOSTICS)[Name]["message"]>,
  string | number
>;

export type RelatedInformation = NonNullable<Diagnostic["related"]>[number];

/**
 * The most characters of one value that a message shows. Values are mostly what the user wrote (a name, a string)
 * or lists of them; a 100k-character name would otherwise fill the message, and each of its repeats.
 */
const MAX_ARGUMENT_CHARACTERS = 120;

/** Arguments that are whole sentences ptch composed (shortening what they quote themselves), never cut. */
const COMPOSED_ARGUMENTS = new Set(["reason", "problem"]);

/** `text`, cut to its first MAX_ARGUMENT_CHARACTERS (never inside a surrogate pair) and "…" where it was longer. */
function shortened(text: string): string {
  if (text.length <= MAX_ARGUMENT_CHARACTERS) return text;
  const cut = /[\ud800-\udbff]/.test(text[MAX_ARGUMENT_CHARACTERS - 1]!)
    ? MAX_ARGUMENT_CHARACTERS - 1
    : MAX_ARGUMENT_CHARACTERS;
  return `${text.slice(0, cut)}…`;
}

/**
 * The messages made lately, each kept once. A file of 100k like statements gets as many identical warnings, and
 * every message is built afresh: repeats then share one string (about half of what a diagnostic holds). Bounded,
 * as a long-lived process (an editor) makes diagnostics without end.
 */
const recentMessages = new Map<string, string>();
const MAX_RECENT_MESSAGES = 1024;

function interned(message: string): string {
  const known = recentMessages.get(message);
  if (known !== undefined) return known;
  if (recentMessages.size >= MAX_RECENT_MESSAGES) recentMessages.clear();
  recentMessages.set(message, message);
  return message;
}

/** Creates the diagnostic `name` from the catalogue, filling its message placeholders from `args`. */
export function createDiagnostic<Name extends DiagnosticName>(
  name: Name,
  range: SourceRange,
  args: DiagnosticArgs<Name>,
  related?: RelatedInformation[],
): Diagnostic {
  const spec: DiagnosticSpec = DIAGNOSTICS[name];
  const message = spec.message.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = String((args as Record<string, string | number>)[key]);
    return COMPOSED_ARGUMENTS.has(key) ? value : shortened(value);
  });
  return {
    code: spec.code,
    severity: spec.severity,
    message: interned(message),
    range,
    ...(related ? { related: related.map((note) => ({ ...note, message: interned(note.message) })) } : {}),
  };
}

/** The properties of `Node` that are themselves located nodes. */
type LocatedProperty<Node> = {
  [Key in keyof Node]: Node[Key] extends { range: SourceRange } ? Key : never;
}[keyof Node];

/**
 * Creates the diagnostic `name` located at `node[property]` (Langium-style), so that checks name *what* is wrong
 * and the range follows from the AST: `diagnosticAt("duplicatePrompt", statement, "name", { name })`.
 */
export function diagnosticAt<Name extends DiagnosticName, Node, Property extends LocatedProperty<Node>>(
  name: Name,
  node: Node,
  property: Property,
  args: DiagnosticArgs<Name>,
  related?: RelatedInformation[],
): Diagnostic {
  const located = node[property] as { range: SourceRange };
  return createDiagnostic(name, located.range, args, related);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === "error");
}

/** Orders diagnostics by where they start, keeping the order of those that start at the same place. */
export function sortByPosition(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort((a, b) => a.range.start.offset - b.range.start.offset);
}
