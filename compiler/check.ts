// Semantic checks on a parsed program: what the grammar can't express. Each check reports every occurrence,
// so one run shows all the problems in a file. Statements may appear in any order: definitions are
// collected first, then uses are resolved against them.

import { statementsOfKind } from "./ast.js";
import { createDiagnostic, diagnosticAt, sortByPosition } from "./diagnostics.js";
import { closestName } from "./edit-distance.js";
import type { Diagnostic, GenerateStatement, ModelStatement, Program, PromptStatement, SourceRange } from "./types.js";

export function check(program: Program): Diagnostic[] {
  const prompts = statementsOfKind(program, "prompt");
  const generates = statementsOfKind(program, "generate");
  return sortByPosition([
    ...checkModels(statementsOfKind(program, "model"), program.range),
    ...checkDuplicatePrompts(prompts),
    ...checkPromptReferences(prompts, generates),
    ...checkGenerates(generates, program.range),
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
  const firstDefinitions = new Map<string, PromptStatement>();
  const diagnostics: Diagnostic[] = [];
  for (const prompt of prompts) {
    const first = firstDefinitions.get(prompt.name.name);
    if (first === undefined) {
      firstDefinitions.set(prompt.name.name, prompt);
      continue;
    }
    diagnostics.push(
      diagnosticAt("duplicatePrompt", prompt, "name", { name: prompt.name.name }, [
        { message: `'${first.name.name}' is first defined here`, range: first.name.range },
      ]),
    );
  }
  return diagnostics;
}

/**
 * Reports uses of undefined prompts (with a "did you mean") and prompts nothing uses. A prompt suggested for a
 * misspelt use counts as used: the misspelling is the one problem, not also an unused prompt.
 */
function checkPromptReferences(prompts: PromptStatement[], generates: GenerateStatement[]): Diagnostic[] {
  const defined = new Set(prompts.map((prompt) => prompt.name.name));
  const used = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const generate of generates) {
    const { name } = generate.prompt;
    if (defined.has(name)) {
      used.add(name);
      continue;
    }
    const suggestion = closestName(name, defined);
    if (suggestion !== undefined) used.add(suggestion);
    diagnostics.push(
      diagnosticAt("undefinedPrompt", generate, "prompt", {
        name,
        suggestion: suggestion === undefined ? "" : `; did you mean '${suggestion}'?`,
      }),
    );
  }
  for (const name of defined) {
    if (used.has(name)) continue;
    const firstDefinition = prompts.find((prompt) => prompt.name.name === name)!;
    diagnostics.push(diagnosticAt("unusedPrompt", firstDefinition, "name", { name }));
  }
  return diagnostics;
}

// An upper bound on the count depends on the model's context length, so it is checked against the model later.
function checkGenerates(generates: GenerateStatement[], file: SourceRange): Diagnostic[] {
  if (generates.length === 0) return [createDiagnostic("missingGenerate", emptyRangeAt(file.end), {})];
  return generates
    .filter((generate) => generate.count.value < 1)
    .map((generate) => diagnosticAt("nonPositiveGenerateCount", generate, "count", { count: generate.count.text }));
}
