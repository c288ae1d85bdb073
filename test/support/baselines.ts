// Baselines for the golden cases, as the TypeScript compiler keeps them: each input test/baselines/cases/NAME.ptch
// has references in test/baselines/reference/: the printed diagnostics of `ptch lint` (NAME.errors.txt, absent
// when there are none), the formatted source (NAME.formatted.ptch, for files without syntax errors) and, for
// files without errors, the emitted TypeScript module (NAME.ts). The test writes what it produced to
// test/baselines/local/; `npm run baseline-accept` copies that over the references after you have read the diff.

import { readdirSync } from "node:fs";
import path from "node:path";
import { generateModule } from "../../compiler/codegen.js";
import { hasErrors } from "../../foundation/diagnostics.js";
import { compile, formatDiagnostic } from "../../compiler/index.js";
import { formatPtch } from "../../compiler/format.js";
import { lint } from "../../runtime/lint.js";

const BASELINES_DIR = path.resolve(import.meta.dirname, "..", "baselines");
export const CASES_DIR = path.join(BASELINES_DIR, "cases");
export const REFERENCE_DIR = path.join(BASELINES_DIR, "reference");
export const LOCAL_DIR = path.join(BASELINES_DIR, "local");
const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Output with the checkout's own location written as <ptch>, so baselines hold wherever the repository is. */
const portable = (text: string) => text.split(ROOT).join("<ptch>");

export const caseNames = () =>
  readdirSync(CASES_DIR)
    .filter((f) => f.endsWith(".ptch"))
    .map((f) => f.slice(0, -".ptch".length))
    .sort();

/** The baseline files of one case, by file name; a file that should not exist is absent. */
export async function baselinesOf(name: string, source: string): Promise<Record<string, string>> {
  const file = `${name}.ptch`;
  const diagnostics = await lint(source, { baseDir: CASES_DIR });
  const outputs: Record<string, string> = {};
  if (diagnostics.length > 0) {
    outputs[`${name}.errors.txt`] = portable(diagnostics.map((d) => formatDiagnostic(d, file, source) + "\n").join(""));
  }
  const { text: formatted } = formatPtch(source);
  if (formatted !== undefined) outputs[`${name}.formatted.ptch`] = formatted;
  const { plan } = compile(source);
  if (plan && !hasErrors(diagnostics)) {
    outputs[`${name}.ts`] = await generateModule(plan, {
      sourceName: file,
      sourceDir: CASES_DIR,
      outputDir: CASES_DIR,
      moduleFormat: "esm",
    });
  }
  return outputs;
}

/** The kinds of baseline file a case can have. */
export const BASELINE_SUFFIXES = [".errors.txt", ".formatted.ptch", ".ts"];
