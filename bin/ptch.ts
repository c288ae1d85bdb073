#!/usr/bin/env node
// The ptch command line. Bad input ends with one clear message and exit code 1, never a stack trace, and
// never a half-written file. Heavy modules (onnxruntime, ts-morph) load only for the commands that use them.

import { constants, rmSync } from "node:fs";
import { lstat, open, readFile, readlink, rename, rm, stat } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import v8 from "node:v8";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { GENERATED_MODULE_HEADER, GENERATED_REPORT_HEADER } from "../compiler/generated-header.js";
import { ParamError, parseParamValue } from "../compiler/bind.js";
import { hasErrors } from "../foundation/diagnostics.js";
import cliProgress from "cli-progress";
import { describeFileError, escapeControlCharacters, joinWords } from "../foundation/text.js";
import { readSourceFile, SourceFileError } from "./source-file.js";
import { resultAsText } from "./run-text.js";
import { closestName, didYouMean } from "../compiler/edit-distance.js";
import { measuresOf } from "../compiler/measures.js";
import { moduleFormatAt } from "../compiler/module-format.js";
import { compile, formatDiagnostics } from "../compiler/index.js";
import { planWithoutLocations } from "../compiler/plan-json.js";
import type { Diagnostic } from "../foundation/diagnostics.js";
import type { ParamValue, Plan } from "../compiler/plan-ir.js";
import { GenerationError, ModelOptionError, ModelUnavailableError, PlanRejectedError } from "../runtime/errors.js";
import { maxOf } from "../foundation/numbers.js";

const USAGE = `usage: ptch <command> [options]   (ptch --version)

  ptch run FILE [--json] [--set NAME=VALUE]... [--model M] [--tokens] [--quiet]
             [--report OUT.html [--report-measure NAME]] [--force]
      run the experiment; print each run (headed by what was done to it) and the measures, or with --json
      one JSON document of every run and measure; --tokens shows each prompt's pieces, intervened ones
      marked; --report writes a self-contained HTML page with heatmaps of a measure over the sweep
  ptch lint FILE... [--model M] [--json]
      check files without running them: syntax, names, and (when the model opens) layers, heads,
      positions and lengths against the model's metadata and tokenizer
  ptch plan FILE [--json]
      print the compiled plan (the JSON IR the runtime executes)
  ptch compile FILE -o OUT.ts [--force]
      write a typed TypeScript module that runs the experiment (-o - writes it to standard output), as an
      ES module or CommonJS, as Node will load OUT.ts; a file ptch did not write is replaced only with --force
  ptch fmt FILE... [--check] [--json]
      rewrite files in the canonical layout; with --check, list the files that would change
  ptch model MODEL [--json]
      describe a model: format, architecture, shape, parameters, tensor types, BOS rule, and every site
  ptch tokenize MODEL TEXT   (or ptch tokenize --model MODEL TEXT) [--json]
      each token's position (as pos= counts it), id, piece and character span

  MODEL              a bundled name, a .gguf file, a Hugging Face directory, or a hub id in the local HF cache

  --model M          a model (as MODEL above) instead of the file's model
  --set NAME=VALUE   a value for a param (or one value of a sweep)
  --json             results and diagnostics as JSON, for tools (--format json: diagnostics only)
  --help             a command's usage: ptch COMMAND --help`;

/** A problem with what the user gave us: printed as is, exit code 1. */
class UsageError extends Error {}

/** A file given on the command line, read once; diagnostics are printed against it. */
interface SourceFile {
  name: string;
  text: string;
}

type DiagnosticFormat = "text" | "json";

async function readSource(name: string): Promise<SourceFile> {
  try {
    return { name, text: await readSourceFile(name) };
  } catch (error) {
    throw error instanceof SourceFileError ? new UsageError(escapeControlCharacters(error.message)) : error;
  }
}

/** What an output may replace: a file ptch wrote before (by its header), or anything with --force. */
interface WritePolicy {
  /** Whether an existing file's first bytes show that ptch produced it. */
  producedByPtch?: (head: string) => boolean;
  /** Files the command reads: never overwritten. */
  inputs?: readonly string[];
  force?: boolean;
}

/** Temporary files being written, removed if the process is interrupted. */
const temporaries = new Set<string>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const file of temporaries) rmSync(file, { force: true });
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

/**
 * Writes `text` to `file` whole or not at all, through a temporary file renamed into place: a failure never
 * leaves a truncated or stray file. `-` is standard output. Only a regular file is replaced (a device, FIFO or
 * folder never is), never an input of the command, and only a file ptch produced unless `force`. The temporary
 * file is created exclusively under an unpredictable name beside the target, so no planted link redirects it.
 * A symbolic link is written through, and an existing file keeps its mode.
 */
async function writeWhole(file: string, text: string, policy: WritePolicy = {}): Promise<void> {
  if (file === "-") {
    process.stdout.write(text);
    return;
  }
  const target = await writeTarget(file);
  const shown = escapeControlCharacters(file);
  const existing = await stat(target).catch(() => undefined);
  if (existing) {
    if (!existing.isFile()) throw new UsageError(`${shown}: is not a regular file; ptch writes only regular files`);
    for (const input of policy.inputs ?? []) {
      const read = await stat(input).catch(() => undefined);
      if (read && read.dev === existing.dev && read.ino === existing.ino) {
        throw new UsageError(`${shown}: is an input of this command; ptch will not overwrite it`);
      }
    }
    if (policy.producedByPtch && !policy.force && !policy.producedByPtch(await fileHead(target))) {
      throw new UsageError(`${shown}: exists and was not written by ptch; give --force to replace it`);
    }
  }
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(8).toString("hex")}.tmp`);
  temporaries.add(temporary);
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o666);
    try {
      await handle.writeFile(text);
      // Set after writing: a mode given at creation would pass through the umask.
      if (existing) await handle.chmod(existing.mode & 0o7777);
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new UsageError(`${shown}: cannot write: ${describeFileError(error)}`);
  } finally {
    temporaries.delete(temporary);
  }
}

/** The first bytes of a file, as text: enough to see a generated-by header. */
async function fileHead(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** The file that writing to `file` should change: a symbolic link's target, even one that does not exist yet. */
async function writeTarget(file: string): Promise<string> {
  let target = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    const link = await lstat(target).catch(() => undefined);
    if (!link?.isSymbolicLink()) return target;
    target = path.resolve(path.dirname(target), await readlink(target));
  }
  throw new UsageError(`${escapeControlCharacters(file)}: cannot write: too many levels of symbolic links`);
}

function diagnosticsAsText(file: SourceFile, diagnostics: readonly Diagnostic[]): string {
  return formatDiagnostics(diagnostics, file.name, file.text);
}

const diagnosticsAsJson = (reports: readonly { file: SourceFile; diagnostics: readonly Diagnostic[] }[]) =>
  JSON.stringify({
    diagnostics: reports.flatMap(({ file, diagnostics }) => diagnostics.map((d) => ({ file: file.name, ...d }))),
  }) + "\n";

function printDiagnostics(file: SourceFile, diagnostics: readonly Diagnostic[], format: DiagnosticFormat): void {
  if (diagnostics.length === 0) return;
  process.stderr.write(
    format === "json" ? diagnosticsAsJson([{ file, diagnostics }]) : diagnosticsAsText(file, diagnostics),
  );
}

/** Compiles a file, printing its diagnostics; undefined when it has errors. */
function compileFile(file: SourceFile, format: DiagnosticFormat): Plan | undefined {
  const { plan, diagnostics } = compile(file.text);
  printDiagnostics(file, diagnostics, format);
  return plan;
}

/** How diagnostics print: `--json` (as on every command) or `--format text|json`. */
function diagnosticFormat(values: { json?: unknown; format?: unknown }): DiagnosticFormat {
  const value = values.format as string | undefined;
  if (value !== undefined && value !== "text" && value !== "json") {
    throw new UsageError(`--format must be text or json, not '${escapeControlCharacters(value)}'`);
  }
  if (values.json === true && value === "text") throw new UsageError("--json and --format text contradict each other");
  return values.json === true ? "json" : (value ?? "text");
}

/** The options of every command that prints diagnostics. */
const DIAGNOSTIC_OPTIONS = { format: { type: "string" }, json: { type: "boolean" } } as const;

/** `--set NAME=VALUE` pairs, each read as its declaration types it. */
function paramValues(plan: Plan, settings: readonly string[]): Record<string, ParamValue> {
  const values: Record<string, ParamValue> = {};
  for (const setting of settings) {
    const equals = setting.indexOf("=");
    if (equals <= 0) throw new UsageError(`--set needs NAME=VALUE, got '${setting}'`);
    const name = setting.slice(0, equals);
    values[name] = parseParamValue(plan, name, setting.slice(equals + 1));
  }
  return values;
}

function parseCommandLine(args: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // node's messages carry advice about `--` that does not apply here; keep the part that names the option.
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message);
    if (!unknown) throw new UsageError(`${escapeControlCharacters((error as Error).message)}\n\n${USAGE}`);
    const option = unknown[1]!;
    const known = Object.keys(options).map((name) => `--${name}`);
    const suggestion = closestName(option.split("=")[0]!, known);
    throw new UsageError(`unknown option '${escapeControlCharacters(option)}'${didYouMean(suggestion)}\n\n${USAGE}`);
  }
}

/** The part of USAGE about one command: its synopsis lines and their description. */
function commandUsage(command: string): string {
  const lines = USAGE.split("\n");
  const start = lines.findIndex((line) => line.startsWith(`  ptch ${command} `) || line === `  ptch ${command}`);
  const end = lines.findIndex((line, i) => i > start && (line === "" || /^ {2}ptch /.test(line)));
  const options = lines.slice(lines.findIndex((line) => line.startsWith("  --model M")));
  return [`usage:`, ...lines.slice(start, end), "", ...options].join("\n");
}

function atLeastOneFile(positionals: string[]): string[] {
  if (positionals.length === 0) throw new UsageError(`expected at least one FILE\n\n${USAGE}`);
  return positionals;
}

function exactlyOneFile(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`expected one FILE, got ${positionals.length}\n\n${USAGE}`);
  return positionals[0]!;
}

async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    ...DIAGNOSTIC_OPTIONS,
    model: { type: "string" },
    set: { type: "string", multiple: true },
    tokens: { type: "boolean" },
    quiet: { type: "boolean" },
    report: { type: "string" },
    force: { type: "boolean" },
    "report-measure": { type: "string" },
  });
  const format = diagnosticFormat(values);
  const file = await readSource(exactlyOneFile(positionals));
  const plan = compileFile(file, format);
  if (!plan) return 1;
  const params = paramValues(plan, (values.set as string[] | undefined) ?? []);
  const reportFile = values.report as string | undefined;
  const reportMeasure = values["report-measure"] as string | undefined;
  if (reportMeasure !== undefined) {
    if (reportFile === undefined) throw new UsageError("--report-measure NAME needs --report FILE.html");
    checkReportMeasure(plan, reportMeasure);
  }
  const progress = values.quiet || !process.stderr.isTTY ? undefined : progressBar();
  // Loaded only when a plan is about to run, so that checking a file never pays for onnxruntime's start-up.
  const { runPlan } = await import("../runtime/execute.js");
  try {
    const result = await runPlan(plan, {
      baseDir: path.dirname(path.resolve(file.name)),
      params,
      ...(values.model === undefined ? {} : { model: values.model as string }),
      onWarnings: (warnings) => printDiagnostics(file, warnings, format),
      ...(progress ? { onProgress: progress.update } : {}),
    });
    progress?.stop();
    if (reportFile !== undefined) {
      const { reportHtml } = await import("./report.js");
      await writeWhole(
        reportFile,
        reportHtml({ source: file, plan, result, ...(reportMeasure ? { measure: reportMeasure } : {}) }),
        {
          producedByPtch: (head) => head.split("\n")[1]?.startsWith(GENERATED_REPORT_HEADER) === true,
          inputs: [file.name],
          force: values.force === true,
        },
      );
    }
    const color = process.stdout.isTTY && process.env["NO_COLOR"] === undefined;
    process.stdout.write(
      values.json ? JSON.stringify(result) + "\n" : resultAsText(result, { tokens: values.tokens === true, color }),
    );
    return 0;
  } catch (error) {
    if (error instanceof PlanRejectedError) printDiagnostics(file, error.diagnostics, format);
    else if (error instanceof ModelUnavailableError && values.model === undefined) {
      // The file's own model statement is at fault: point at it, as lint does.
      const { modelUnavailable } = await import("../runtime/lint.js");
      printDiagnostics(file, [modelUnavailable(file.text, error)], format);
    } else if (error instanceof ModelUnavailableError) throw new ModelOptionError(values.model as string, error);
    else throw error;
    return 1;
  }
}

/** The measures a plan names, as --report-measure may pick them. */
function checkReportMeasure(plan: Plan, name: string): void {
  const names = measuresOf(plan.steps).map((measure) => measure.name);
  if (names.includes(name)) return;
  const known =
    names.length === 0 ? "this file has no measures" : `the measures are ${joinWords(names.map((n) => `'${n}'`))}`;
  throw new UsageError(`--report-measure: no measure named '${name}'; ${known}`);
}

/** A progress bar on stderr while tokens are generated: runs done, tokens per second, time left. */
function progressBar(): {
  update: (progress: { tokens: number; total: number; finished: number; generations: number }) => void;
  stop: () => void;
} {
  const bar = new cliProgress.SingleBar(
    {
      format: "generating [{bar}] {finished}/{generations} runs · {speed} tok/s · {eta_formatted} left",
      hideCursor: true,
      clearOnComplete: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  return {
    update: ({ tokens, total, finished, generations }) => {
      // Work shorter than a second shows no bar at all.
      if (!running && Date.now() - started < 1000) return;
      const values = { speed: Math.round(tokens / ((Date.now() - started) / 1000)), finished, generations };
      // The bar and the time left go by tokens, at most `total`: runs that stop early only shorten the wait.
      if (!running) bar.start(total, tokens, values);
      running = true;
      bar.update(tokens, values);
    },
    stop: () => {
      if (running) bar.stop();
    },
  };
}

async function lintCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { model: { type: "string" }, ...DIAGNOSTIC_OPTIONS });
  const format = diagnosticFormat(values);
  const { lint } = await import("../runtime/lint.js");
  const reports: { file: SourceFile; diagnostics: Diagnostic[] }[] = [];
  for (const name of atLeastOneFile(positionals)) {
    const file = await readSource(name);
    const model = values.model as string | undefined;
    const baseDir = path.dirname(path.resolve(file.name));
    reports.push({ file, diagnostics: await lint(file.text, { baseDir, ...(model === undefined ? {} : { model }) }) });
  }
  process.stdout.write(
    format === "json"
      ? diagnosticsAsJson(reports)
      : reports.map(({ file, diagnostics }) => diagnosticsAsText(file, diagnostics)).join(""),
  );
  return reports.some((r) => hasErrors(r.diagnostics)) ? 1 : 0;
}

async function planCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, DIAGNOSTIC_OPTIONS);
  const file = await readSource(exactlyOneFile(positionals));
  const plan = compileFile(file, diagnosticFormat(values));
  if (!plan) return 1;
  process.stdout.write(JSON.stringify(planWithoutLocations(plan), null, 2) + "\n");
  return 0;
}

async function compileCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    output: { type: "string", short: "o" },
    force: { type: "boolean" },
    ...DIAGNOSTIC_OPTIONS,
  });
  const output = values.output as string | undefined;
  if (output === undefined) throw new UsageError(`compile needs -o OUT.ts\n\n${USAGE}`);
  const file = await readSource(exactlyOneFile(positionals));
  const plan = compileFile(file, diagnosticFormat(values));
  if (!plan) return 1;
  const { generateModule } = await import("../compiler/codegen.js");
  const text = await generateModule(plan, {
    sourceName: path
      .relative(path.dirname(path.resolve(output)), path.resolve(file.name))
      .split(path.sep)
      .join("/"),
    sourceDir: path.dirname(path.resolve(file.name)),
    outputDir: path.dirname(path.resolve(output)),
    // For standard output, the module is taken to live in the working directory.
    moduleFormat: moduleFormatAt(path.resolve(output)),
  });
  await writeWhole(output, text, {
    producedByPtch: (head) => head.startsWith(GENERATED_MODULE_HEADER),
    inputs: [file.name],
    force: values.force === true,
  });
  return 0;
}

async function fmtCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { check: { type: "boolean" }, ...DIAGNOSTIC_OPTIONS });
  const format = diagnosticFormat(values);
  const { formatPtch } = await import("../compiler/format.js");
  let failed = false;
  for (const name of atLeastOneFile(positionals)) {
    const file = await readSource(name);
    const { text, diagnostics } = formatPtch(file.text);
    printDiagnostics(file, diagnostics, format);
    if (text === undefined) failed = true;
    else if (text !== file.text) {
      if (values.check) {
        process.stdout.write(`${file.name}\n`);
        failed = true;
      } else await writeWhole(file.name, text);
    }
  }
  return failed ? 1 : 0;
}

async function openModelArgument(text: string) {
  const { modelOverride, openModel } = await import("../runtime/model-files.js");
  return openModel(modelOverride(text), process.cwd());
}

/** A right-aligned table: one row per entry, columns padded to the widest cell. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => maxOf(rows.map((r) => r[c]!.length)));
  return rows
    .map(
      (r) =>
        r
          .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
          .join("  ")
          .trimEnd() + "\n",
    )
    .join("");
}

async function modelCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { json: { type: "boolean" } });
  if (positionals.length !== 1) throw new UsageError(`expected one MODEL, got ${positionals.length}\n\n${USAGE}`);
  const { describeModel } = await import("../runtime/model-info.js");
  const d = describeModel(await openModelArgument(positionals[0]!));
  if (values.json) {
    process.stdout.write(JSON.stringify(d, null, 2) + "\n");
    return 0;
  }
  const types = Object.entries(d.tensorTypes)
    .map(([type, count]) => `${type} ×${count}`)
    .join(", ");
  const bos = d.bos.added
    ? `adds ${d.bos.piece} (id ${d.bos.id}) at position 0`
    : "adds no BOS: position 0 is the first text token";
  const lines = [
    ["path", d.path],
    ["format", d.format === "gguf" ? "GGUF" : "Hugging Face directory (safetensors)"],
    ["architecture", d.architecture],
    ["layers", String(d.layers)],
    ["width", String(d.width)],
    ["heads", `${d.heads} of width ${d.headDim}, ${d.kvHeads} key/value heads`],
    ["feed-forward", String(d.ffWidth)],
    [
      "vocabulary",
      d.vocabulary === d.embeddingRows
        ? String(d.vocabulary)
        : `${d.vocabulary} tokens (${d.embeddingRows} embedding rows)`,
    ],
    ["context", String(d.contextLength)],
    ["parameters", d.parameters.toLocaleString("en-US")],
    ["tensor types", types],
    ["BOS", bos],
    ["EOS", `${d.eos.piece} (id ${d.eos.id})`],
  ];
  const sites = d.sites.map((s) => [
    s.name,
    s.absent ? "—" : `L=${s.layers[0]}..${s.layers[1]}`,
    s.absent ? "absent" : `[${s.shape.join(", ")}]`,
    s.absent ? s.absent : s.aliasOf ? `= ${s.aliasOf}` : "",
  ]);
  process.stdout.write(table(lines) + "\nsites\n" + table(sites.map((r) => ["  " + r[0]!, ...r.slice(1)])));
  return 0;
}

async function tokenizeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, { json: { type: "boolean" }, model: { type: "string" } });
  const expected = values.model === undefined ? 2 : 1;
  if (positionals.length !== expected) {
    throw new UsageError(`expected ${expected === 2 ? "MODEL and TEXT" : "TEXT"}\n\n${USAGE}`);
  }
  const modelText = (values.model as string | undefined) ?? positionals[0]!;
  const text = positionals[expected - 1]!;
  const { describeTokens } = await import("../runtime/model-info.js");
  const tokens = describeTokens((await openModelArgument(modelText)).tokenizer, text);
  if (values.json) {
    process.stdout.write(JSON.stringify({ text, tokens }) + "\n");
    return 0;
  }
  const rows = tokens.map((t) => [
    `pos=${t.position}`,
    `-${tokens.length - t.position}`.padStart(4),
    String(t.id),
    JSON.stringify(t.piece),
    `[${t.span[0]}, ${t.span[1]})`,
    JSON.stringify(t.text),
  ]);
  process.stdout.write(table([["position", "from end", "id", "piece", "span", "text"], ...rows]));
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  model: modelCommand,
  tokenize: tokenizeCommand,
  run: runCommand,
  lint: lintCommand,
  plan: planCommand,
  compile: compileCommand,
  fmt: fmtCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--version" || command === "-v") {
    const { packageRoot } = await import("../runtime/model-files.js");
    const { version } = JSON.parse(await readFile(path.join(packageRoot(), "package.json"), "utf8")) as {
      version: string;
    };
    process.stdout.write(`ptch ${version}\n`);
    return 0;
  }
  if (command === undefined || command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE + "\n");
    return command === undefined ? 1 : 0;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    const suggestion = closestName(command, Object.keys(COMMANDS));
    throw new UsageError(`unknown command '${escapeControlCharacters(command)}'${didYouMean(suggestion)}\n\n${USAGE}`);
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(commandUsage(command) + "\n");
    return 0;
  }
  return handler(rest);
}

// V8 lets its heap grow to about twice what is live before it collects again, and a 10 MB source holds a live
// AST, plan and diagnostics of several hundred MB: 1.9 GB at the peak where 0.8 GB is live. Growing by half
// instead keeps such a lint near 1.2 GB for a tenth more time (bench/lint-size.ts); the model's weights live
// outside this heap, so a run is unaffected.
v8.setFlagsFromString("--heap-growing-percent=50");

// A reader that stops early (`ptch run x.ptch | head -1`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  process.stderr.write(`ptch: cannot write the output: ${describeFileError(error)}\n`);
  process.exit(1);
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  // Every message may carry text from a file or the command line: escaped, it cannot drive the terminal.
  if (error instanceof ModelOptionError) {
    process.stderr.write(`ptch: error ${error.code}: ${escapeControlCharacters(error.message)}\n`);
  } else if (error instanceof UsageError || error instanceof GenerationError || error instanceof ParamError) {
    process.stderr.write(`ptch: ${escapeControlCharacters(error.message)}\n`);
  } else if (error instanceof ModelUnavailableError) {
    process.stderr.write(
      `ptch: ${escapeControlCharacters(`${error.file ? `${error.file}: ` : ""}${error.message}`)}\n`,
    );
  } else {
    // A bug in ptch, not bad input: keep the stack for the report.
    process.stderr.write(
      `ptch: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 1;
}
