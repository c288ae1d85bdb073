#!/usr/bin/env node
// The ptch command line. Bad input ends with one clear message and exit code 1, never a stack trace.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { compile, formatDiagnostic } from "../compiler/index.js";
import type { RunResult } from "../compiler/types.js";
import { ModelFormatError, PlanRejectedError, RunError } from "../runtime/errors.js";

const USAGE = `usage: ptch run FILE [--json] [--model NAME_OR_PATH]

  run FILE     run the experiment in FILE and print the generated text
    --json     print one JSON document with every run's tokens and text
    --model M  use model M (a bundled name or a path) instead of the file's model`;

/** A problem with what the user gave us: printed as is, exit code 1. */
class UsageError extends Error {}

interface RunArgs {
  file: string;
  json: boolean;
  model?: string;
}

function parseRunArgs(args: string[]): RunArgs {
  let file: string | undefined;
  let json = false;
  let model: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") json = true;
    else if (arg === "--model") {
      model = args[++i];
      if (model === undefined) throw new UsageError("--model needs a value");
    } else if (arg.startsWith("-")) throw new UsageError(`unknown option '${arg}'\n\n${USAGE}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`unexpected argument '${arg}'\n\n${USAGE}`);
  }
  if (file === undefined) throw new UsageError(`missing FILE\n\n${USAGE}`);
  return { file, json, model };
}

async function readSource(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new UsageError(`${file}: cannot read: ${reason}`);
  }
}

async function run(args: string[]): Promise<number> {
  const { file, json, model } = parseRunArgs(args);
  const source = await readSource(file);
  const { plan, diagnostics } = compile(source);
  for (const d of diagnostics) process.stderr.write(formatDiagnostic(d, file, source) + "\n");
  if (!plan) return 1;
  // Loaded only when a plan is about to run, so that checking a file never pays for onnxruntime's start-up.
  const { runPlan } = await import("../runtime/execute.js");
  let result: RunResult;
  try {
    result = await runPlan(plan, { baseDir: path.dirname(path.resolve(file)), model });
  } catch (error) {
    if (!(error instanceof PlanRejectedError)) throw error;
    for (const d of error.diagnostics) process.stderr.write(formatDiagnostic(d, file, source) + "\n");
    return 1;
  }
  if (json) process.stdout.write(JSON.stringify(result) + "\n");
  else {
    for (const r of result.runs) {
      if (result.runs.length > 1) process.stdout.write(`[${r.prompt}]\n`);
      process.stdout.write(r.text + "\n");
    }
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "run":
      return run(rest);
    case undefined:
    case "-h":
    case "--help":
      process.stdout.write(USAGE + "\n");
      return command === undefined ? 1 : 0;
    default:
      throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof RunError) {
    process.stderr.write(`ptch: ${error.message}\n`);
  } else if (error instanceof ModelFormatError) {
    process.stderr.write(`ptch: ${error.file ? `${error.file}: ` : ""}${error.message}\n`);
  } else {
    // A bug in ptch, not bad input: keep the stack for the report.
    process.stderr.write(`ptch: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exitCode = 1;
}
