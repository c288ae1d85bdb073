// Semantic checks on a parsed program: what the grammar can't express. Each check reports every occurrence,
// so one run shows all the problems in a file. Prompts and parameters may be declared anywhere, so they are
// collected first; captures are defined by statements that run in order, so a capture must be defined before it
// is used.

import {
  captureReferences,
  isName,
  onStatement,
  promptReads,
  promptReferences,
  repeats,
  siteReads,
  sourcePromptName,
  statementsOfKind,
  subexpressions,
  valueOf,
  ARITHMETIC,
} from "../grammar/ast-queries.js";
import { checkEachBinding, checkParams } from "./check-params.js";
import { checkGenerationMeasure, checkMeasure } from "./measures.js";
import { checkPatch, checkSite, selectsGenerated } from "./check-sites.js";
import { createDiagnostic, diagnosticAt, sortByPosition } from "../foundation/diagnostics.js";
import { closestName, didYouMean, didYouMeanOneOf } from "./edit-distance.js";
import { ANY_INTEGER, ANY_NUMBER, checkNumber, GENERATE_COUNT, isFiniteFloat32 } from "./numbers.js";
import { declarationKind, paramDeclarations, type ParamDeclaration } from "./params.js";
import { SAMPLING_OPTIONS } from "./sampling.js";
import { effectiveSelectors } from "./sites.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type {
  AddStatement,
  Expression,
  GenerateStatement,
  Identifier,
  LetStatement,
  MeanStatement,
  ModelStatement,
  NumberLiteral,
  Program,
  PromptStatement,
  ScaleStatement,
  SetStatement,
  SiteRead,
  SiteReference,
  Statement,
} from "../grammar/ast.js";
import type { SourceRange } from "../foundation/source.js";

export function check(program: Program): Diagnostic[] {
  const { statements } = program;
  const prompts = statementsOfKind(program, "prompt");
  const captures = statementsOfKind(program, "let");
  const params = paramDeclarations(program);
  return sortByPosition([
    ...checkModels(statementsOfKind(program, "model"), program.range),
    ...checkDuplicatePrompts(prompts),
    ...checkPromptReferences(prompts, statements.flatMap(promptReferences), captures, params),
    ...checkCaptures(statements, captures, prompts, params),
    ...checkParams(program, params),
    ...statements.flatMap(checkStatement),
    ...statements.flatMap((statement) => checkEachBinding(statement, params, checkStatement)),
    ...checkDuplicateMeasures(statements),
    ...checkInterventionsAreRead(statements, new Set(prompts.map((prompt) => prompt.name.name))),
    ...checkSomethingRuns(statements, program.range),
  ]);
}

/** An empty range at `position`, for problems about something missing rather than something written. */
function emptyRangeAt(position: SourceRange["start"]): SourceRange {
  return { start: position, end: position };
}

function checkModels(models: ModelStatement[], file: SourceRange): Diagnostic[] {
  const [first, ...duplicates] = models;
  if (first === undefined) return [createDiagnostic("missingModel", emptyRangeAt(file.start), {})];
  return duplicates.map((duplicate) =>
    createDiagnostic("duplicateModel", duplicate.range, {}, [
      { message: "the first model statement is here", range: first.range },
    ]),
  );
}

function checkDuplicatePrompts(prompts: PromptStatement[]): Diagnostic[] {
  return repeats(prompts, (prompt) => prompt.name.name).map(({ repeat, first }) =>
    diagnosticAt("duplicatePrompt", repeat, "name", { name: repeat.name.name }, [
      { message: `'${first.name.name}' is first defined here`, range: first.name.range },
    ]),
  );
}

/**
 * Reports uses of undefined prompts (with a "did you mean") and prompts nothing uses. A prompt suggested for a
 * misspelt use counts as used: the misspelling is the one problem, not also an unused prompt.
 */
function checkPromptReferences(
  prompts: PromptStatement[],
  references: Identifier[],
  captures: LetStatement[],
  params: ReadonlyMap<string, ParamDeclaration>,
): Diagnostic[] {
  const defined = new Set(prompts.map((prompt) => prompt.name.name));
  const captureNames = new Set(captures.map((capture) => capture.name.name));
  const used = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const { name, range } of references) {
    if (defined.has(name)) {
      used.add(name);
      continue;
    }
    if (captureNames.has(name)) {
      const suggestion = `; '${name}' is a capture, not a prompt`;
      diagnostics.push(createDiagnostic("undefinedPrompt", range, { name, suggestion }));
      continue;
    }
    const param = params.get(name);
    if (param !== undefined) {
      const suggestion = `; '${name}' is a ${declarationKind(param.statement)}, not a prompt`;
      diagnostics.push(createDiagnostic("undefinedPrompt", range, { name, suggestion }));
      continue;
    }
    const closest = closestName(name, defined);
    if (closest !== undefined) used.add(closest);
    diagnostics.push(createDiagnostic("undefinedPrompt", range, { name, suggestion: didYouMean(closest) }));
  }
  // The first definition of each name, found in one pass: a search per name would be quadratic in the prompts.
  const firstDefinitions = new Map<string, PromptStatement>();
  for (const prompt of prompts)
    if (!firstDefinitions.has(prompt.name.name)) firstDefinitions.set(prompt.name.name, prompt);
  for (const [name, firstDefinition] of firstDefinitions) {
    if (used.has(name)) continue;
    diagnostics.push(diagnosticAt("unusedPrompt", firstDefinition, "name", { name }));
  }
  return diagnostics;
}

/**
 * Resolves capture names in statement order: a use sees the captures defined above it. A name in a value that a
 * parameter has is the parameter's. Reports repeated names, names that a prompt has already, and captures that
 * are neither used nor exported.
 */
function checkCaptures(
  statements: Statement[],
  captures: LetStatement[],
  prompts: PromptStatement[],
  params: ReadonlyMap<string, ParamDeclaration>,
): Diagnostic[] {
  const defined = new Map<string, LetStatement>();
  const used = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const statement of statements) {
    for (const reference of captureReferences(statement, (name) => params.has(name))) {
      if (!defined.has(reference.name)) {
        diagnostics.push(undefinedCapture(reference, defined, captures, prompts, params, used));
      }
      used.add(reference.name);
    }
    if (statement.kind !== "let") continue;
    const { name } = statement.name;
    const first = defined.get(name);
    if (first === undefined) defined.set(name, statement);
    else {
      diagnostics.push(
        diagnosticAt("duplicateCapture", statement, "name", { name }, [
          { message: `'${name}' is first defined here`, range: first.name.range },
        ]),
      );
    }
    const prompt = prompts.find((candidate) => candidate.name.name === name);
    if (prompt !== undefined) {
      diagnostics.push(
        diagnosticAt("captureNamedAsPrompt", statement, "name", { name }, [
          { message: `the prompt '${name}' is defined here`, range: prompt.name.range },
        ]),
      );
    }
  }
  for (const [name, capture] of defined) {
    if (!used.has(name) && !capture.exported)
      diagnostics.push(diagnosticAt("unusedCapture", capture, "name", { name }));
  }
  return diagnostics;
}

/**
 * A use of a capture not defined above it: defined further down, a prompt's name where a site read was meant, or
 * misspelt (the capture suggested then counts as used; a parameter may be suggested too).
 */
function undefinedCapture(
  reference: Identifier,
  defined: ReadonlyMap<string, LetStatement>,
  captures: LetStatement[],
  prompts: PromptStatement[],
  params: ReadonlyMap<string, ParamDeclaration>,
  used: Set<string>,
): Diagnostic {
  const { name, range } = reference;
  const later = captures.find((capture) => capture.name.name === name);
  if (later !== undefined) {
    return createDiagnostic("captureUsedBeforeDefinition", range, { name }, [
      { message: `'${name}' is defined here`, range: later.name.range },
    ]);
  }
  if (prompts.some((prompt) => prompt.name.name === name)) {
    const suggestion = `; '${name}' is a prompt: read one of its sites with, for example, resid[L=0, pos=-1] of ${name}`;
    return createDiagnostic("undefinedCapture", range, { name, suggestion });
  }
  const closest = closestName(name, [...defined.keys(), ...params.keys()]);
  if (closest !== undefined) used.add(closest);
  return createDiagnostic("undefinedCapture", range, { name, suggestion: didYouMean(closest) });
}

function checkStatement(statement: Statement): Diagnostic[] {
  const reads = siteReads(statement).flatMap(checkSiteRead);
  const target = (s: { site: SiteReference; prompt: Identifier }) => checkSite(s.site, "target", s.prompt.name);
  const writeOfValue = (s: AddStatement | SetStatement | ScaleStatement) => [
    ...target(s),
    ...reads,
    ...checkNumbers(valueOf(s)!),
  ];
  return onStatement<Diagnostic[]>(
    statement,
    {
      let: () => reads,
      patch: checkPatch,
      add: writeOfValue,
      set: writeOfValue,
      scale: writeOfValue,
      zero: target,
      mean: (s) => [...target(s), ...checkMean(s)],
      generate: (s) => [...checkGenerate(s), ...s.measures.flatMap(checkGenerationMeasure)],
      measure: checkMeasure,
    },
    () => [],
  );
}

/** Measures are reported by name, so two of one name would be told apart by nothing. */
function checkDuplicateMeasures(statements: Statement[]): Diagnostic[] {
  const named = statements.flatMap((statement) =>
    onStatement<Identifier[]>(
      statement,
      {
        measure: (s) => [s.name],
        generate: (s) => s.measures.flatMap((measure) => (measure.name ? [measure.name] : [])),
      },
      () => [],
    ),
  );
  return repeats(named, (name) => name.name).map(({ repeat, first }) =>
    createDiagnostic("duplicateMeasure", repeat.range, { name: repeat.name }, [
      { message: `'${first.name}' is first defined here`, range: first.range },
    ]),
  );
}

/**
 * An intervention acts on what later reads its prompt: a generate, a measure, a capture or another prompt's
 * patch. One with no such read after it changes nothing, which is worth saying, since it looks as if it did.
 */
function checkInterventionsAreRead(statements: Statement[], declared: ReadonlySet<string>): Diagnostic[] {
  const readLater = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const statement of [...statements].reverse()) {
    const inPrompt = ({ prompt }: { prompt: Identifier }) => ({ prompt: prompt.name, range: prompt.range });
    const written = onStatement<{ prompt: string; range: SourceRange } | undefined>(
      statement,
      {
        patch: (s) => ({ prompt: s.target.prompt.name, range: s.target.range }),
        add: inPrompt,
        set: inPrompt,
        scale: inPrompt,
        zero: inPrompt,
        mean: inPrompt,
      },
      () => undefined,
    );
    // An undeclared prompt is the one problem there, reported already.
    if (written && declared.has(written.prompt) && !readLater.has(written.prompt)) {
      diagnostics.push(
        createDiagnostic("interventionAfterLastRead", written.range, { kind: statement.kind, prompt: written.prompt }),
      );
    }
    for (const prompt of promptReads(statement)) readLater.add(prompt);
  }
  return diagnostics;
}

function checkSiteRead({ site, source }: SiteRead): Diagnostic[] {
  return checkSite(site, "source", sourcePromptName(source));
}

/** The numbers in a value must be finite: those written, and those computed from numbers alone (1/0 is not). */
function checkNumbers(value: Expression): Diagnostic[] {
  const written = subexpressions(value).flatMap((expression) =>
    expression.kind === "number" ? checkNumber("a number", expression.number, ANY_NUMBER) : [],
  );
  return [...written, ...evaluateNumbers(value).problems];
}

/**
 * What `value` computes to when it is made of finite numbers alone (else undefined), and a problem at each smallest
 * part made of finite numbers alone whose result is not finite. A number written too large is reported as written,
 * so nothing computed from it is reported again. A parameter counts as a number once its value is filled in
 * (`checkEachBinding`).
 */
function evaluateNumbers(value: Expression): { result: number | undefined; problems: Diagnostic[] } {
  switch (value.kind) {
    case "number":
      return { result: isFiniteFloat32(value.number.value) ? value.number.value : undefined, problems: [] };
    case "capture":
    case "activation":
      return { result: undefined, problems: [] };
    case "negate": {
      const { result, problems } = evaluateNumbers(value.operand);
      return { result: result === undefined ? undefined : -result, problems };
    }
    case "binary": {
      const left = evaluateNumbers(value.left);
      const right = evaluateNumbers(value.right);
      if (left.result === undefined || right.result === undefined) {
        return { result: undefined, problems: [...left.problems, ...right.problems] };
      }
      const result = ARITHMETIC[value.operator](left.result, right.result);
      if (isFiniteFloat32(result)) return { result, problems: [] };
      return { result: undefined, problems: [createDiagnostic("nonFiniteValue", value.range, { result })] };
    }
  }
}

/** A mean ablation averages the other prompts' activations at the selected prompt positions. */
function checkMean(mean: MeanStatement): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  if (mean.over.prompts.length === 0) diagnostics.push(diagnosticAt("meanOverNothing", mean, "over", {}));
  for (const prompt of mean.over.prompts) {
    if (prompt.name === mean.prompt.name) {
      diagnostics.push(createDiagnostic("meanOverTarget", prompt.range, { prompt: prompt.name }));
    }
  }
  const positions = effectiveSelectors(mean.site.selectors).get("positions");
  if (selectsGenerated(positions)) {
    diagnostics.push(createDiagnostic("meanOverGenerated", (positions ?? mean.site.name).range, {}));
  }
  return diagnostics;
}

function checkGenerate(generate: GenerateStatement): Diagnostic[] {
  const diagnostics = isName(generate.count) ? [] : checkCount(generate.count);
  const options = generate.sampling?.options ?? [];
  for (const { repeat, first } of repeats(options, (option) => option.key.name)) {
    diagnostics.push(
      diagnosticAt("duplicateSamplingOption", repeat, "key", { name: repeat.key.name }, [
        { message: `'${first.key.name}' is first set here`, range: first.range },
      ]),
    );
  }
  for (const option of options) {
    const spec = SAMPLING_OPTIONS.get(option.key.name);
    if (spec) diagnostics.push(...(isName(option.value) ? [] : checkNumber(option.key.name, option.value, spec.rule)));
    else {
      const suggestion = didYouMeanOneOf(option.key.name, [...SAMPLING_OPTIONS.keys()], "options");
      diagnostics.push(diagnosticAt("unknownSamplingOption", option, "key", { name: option.key.name, suggestion }));
    }
  }
  const { stop } = generate;
  if (stop && !isName(stop) && stop.value === "") diagnostics.push(createDiagnostic("emptyStopText", stop.range, {}));
  return diagnostics;
}

// An upper bound on the count depends on the model's context length, so it is checked against the model later.
function checkCount(count: NumberLiteral): Diagnostic[] {
  const problems = checkNumber("generate count", count, ANY_INTEGER);
  if (problems.length > 0 || GENERATE_COUNT.accepts(count.value)) return problems;
  return [createDiagnostic("nonPositiveGenerateCount", count.range, { count: count.text })];
}

/** A file outputs what it generates, measures and exports; one with none of them would run for nothing. */
function checkSomethingRuns(statements: Statement[], file: SourceRange): Diagnostic[] {
  const outputs = statements.filter(
    (statement) =>
      statement.kind === "generate" || statement.kind === "measure" || (statement.kind === "let" && statement.exported),
  );
  return outputs.length === 0 ? [createDiagnostic("missingGenerate", emptyRangeAt(file.end), {})] : [];
}
