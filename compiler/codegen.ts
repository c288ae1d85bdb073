// Plan → a TypeScript module: the plan as a typed constant and a typed `run()` that executes it.
//
// Every piece of user text reaches the module as a JSON string literal (the plan constant) or inside a `//`
// comment with line breaks removed, so no prompt, parameter default or file name can ever become code.

import { GENERATED_MODULE_HEADER } from "./generated-header.js";
import path from "node:path";
import * as prettier from "prettier";
import { Project, VariableDeclarationKind } from "ts-morph";
import { planWithoutLocations } from "./plan-json.js";
import { withArticle } from "../foundation/text.js";
import type { ModuleFormat } from "./module-format.js";
import type { ModelRef, ParamValue, Plan } from "./plan-ir.js";

/** The package name generated modules import the runtime from. */
const RUNTIME_PACKAGE = "ptch";

export interface CodegenOptions {
  /** The .ptch file's path as it should appear in the header (relative to the working directory, say). */
  sourceName: string;
  /** Folder of the .ptch file: relative model paths in the plan are relative to it. */
  sourceDir: string;
  /** Folder the module is written to: relative model paths are rewritten relative to it. */
  outputDir: string;
  /** The module system that will load the module (see moduleFormatAt). */
  moduleFormat: ModuleFormat;
}

const TYPE_OF_PARAM = { int: "number", float: "number", string: "string" } as const;

/** One line of text that is safe inside a `//` comment: no line breaks of any kind. */
const commentSafe = (text: string) => text.replace(/[\r\n\u2028\u2029]+/g, " ");

/** Text that is safe inside a `/** … *\/` block: the comment cannot be closed early. */
const docSafe = (text: string) => commentSafe(text).replace(/\*\//g, "*\\/");

/** A relative model path re-anchored from the .ptch file's folder to the module's. */
function relocateModel(model: ModelRef, options: CodegenOptions): ModelRef {
  if (model.kind !== "file" || path.isAbsolute(model.path)) return model;
  const relative = path
    .relative(options.outputDir, path.resolve(options.sourceDir, model.path))
    .split(path.sep)
    .join("/");
  return { kind: "file", path: relative.startsWith(".") ? relative : `./${relative}` };
}

const describeValue = (value: ParamValue) => JSON.stringify(value);

/** A sweep's values for a doc comment: all of a short list; the first few and the last of a long one. */
const SHOWN_VALUES = 8;
const describeValues = (values: readonly ParamValue[]) =>
  values.length <= SHOWN_VALUES
    ? values.map(describeValue).join(", ")
    : `${values
        .slice(0, SHOWN_VALUES - 1)
        .map(describeValue)
        .join(", ")}, …, ${describeValue(values.at(-1)!)} (${values.length} values)`;

/** Generates the module's source text, formatted with prettier. */
export async function generateModule(plan: Plan, options: CodegenOptions): Promise<string> {
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile("module.ts");
  const embedded = { ...planWithoutLocations(plan), model: relocateModel(plan.model, options) };

  const esm = options.moduleFormat === "esm";
  // CommonJS imports only types statically: a whole-declaration `import type`, which no compiler setting
  // (verbatimModuleSyntax, say) keeps as a `require`.
  file.addImportDeclaration(
    esm
      ? {
          moduleSpecifier: RUNTIME_PACKAGE,
          namedImports: [
            { name: "runPlan" },
            { name: "Plan", isTypeOnly: true },
            { name: "RunResult", isTypeOnly: true },
          ],
        }
      : { moduleSpecifier: RUNTIME_PACKAGE, isTypeOnly: true, namedImports: ["Plan", "RunResult"] },
  );
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [`The experiment's plan (ptch plan IR, version ${plan.planVersion}).`],
    declarations: [{ name: "plan", type: "Plan", initializer: JSON.stringify(embedded) }],
  });
  file.addInterface({
    name: "Params",
    isExported: true,
    docs: ["Values for the experiment's parameters; each one left out keeps its default."],
    properties: [
      ...plan.params.map((p) => ({
        name: p.name,
        type: TYPE_OF_PARAM[p.type],
        hasQuestionToken: true,
        docs: [docSafe(`\`param ${p.name}\`, ${withArticle(p.type)}; default ${describeValue(p.default)}.`)],
      })),
      ...plan.sweeps.map((s) => ({
        name: s.name,
        type: TYPE_OF_PARAM[s.type],
        hasQuestionToken: true,
        docs: [docSafe(`\`sweep ${s.name}\`: runs once per value of ${describeValues(s.values)}; set it to run one.`)],
      })),
    ],
  });
  file.addInterface({
    name: "RunOptions",
    isExported: true,
    properties: [
      {
        name: "model",
        type: "string",
        hasQuestionToken: true,
        docs: ["A bundled model name or a path to a model file, instead of the plan's model."],
      },
    ],
  });
  file.addFunction({
    name: "run",
    isExported: true,
    isAsync: true,
    docs: [`Runs the experiment: the same result as \`ptch run ${docSafe(options.sourceName)} --json\`.`],
    parameters: [
      { name: "params", type: "Params", initializer: "{}" },
      { name: "options", type: "RunOptions", initializer: "{}" },
    ],
    returnType: "Promise<RunResult>",
    // Relative model paths resolve against this module's folder, wherever it is imported from. CommonJS cannot
    // `require` ptch, an ES module (nor its parser, chevrotain), but it can import it.
    statements: esm
      ? [`return runPlan(plan, { ...options, params: { ...params }, baseDir: new URL(".", import.meta.url) });`]
      : [
          `const { runPlan } = await import(${JSON.stringify(RUNTIME_PACKAGE)});`,
          `return runPlan(plan, { ...options, params: { ...params }, baseDir: __dirname });`,
        ],
  });
  file.insertStatements(0, [
    `${GENERATED_MODULE_HEADER} from ${commentSafe(options.sourceName)}. Do not edit: change the .ptch file and run`,
    "// `ptch compile` again.",
    "",
  ]);
  return prettier.format(file.getFullText(), { parser: "typescript", printWidth: 120 });
}
