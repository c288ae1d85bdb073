// Lint on generated .ptch files of 1 MB and 10 MB (issue 11: every input up to 10 MB lints in seconds, well under
// 2 GB): the whole process's time and peak RSS, for files of many prompts, interventions, measures and
// generations, and for one of nothing but patches (the densest in AST and checks).

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");
const bin = path.join(root, "dist", "bin", "ptch.js");
const MiB = 2 ** 20;

/** Blocks of statements from `block(i)`, after `header`, until the file reaches `bytes`. */
function generatedSource(bytes: number, header: readonly string[], block: (i: number) => string[]): string {
  const lines = [...header];
  let size = lines.join("\n").length;
  for (let i = 0; size < bytes; i++) {
    const statements = block(i);
    for (const statement of statements) lines.push(statement);
    size += statements.join("\n").length + 1;
  }
  return lines.join("\n") + "\n";
}

/** Statements in rotation, each block on its own prompt. */
const mixed = (bytes: number) =>
  generatedSource(bytes, ['model "stories260K"'], (i) => [
    `prompt p${i} = "Once upon a time, there was a little girl named Lily ${i}."`,
    `patch resid[L=${i % 5}, pos=-2] from p${i} into p${i}`,
    `measure m${i} = logit_diff(" She", " He") of p${i}`,
    `generate 4 from p${i}`,
  ]);

/** One patch after another on one prompt: each overrides the last (PTCH3115), a warning per statement. */
const patches = (bytes: number) =>
  generatedSource(bytes, ['model "stories260K"', 'prompt p = "Once"', 'prompt q = "Two"', "generate 1 from p"], (i) => [
    `patch resid[L=${i % 5}, pos=-1] from q into p`,
  ]);

const dir = mkdtempSync(path.join(os.tmpdir(), "ptch-bench-lint-"));
try {
  for (const [kind, text] of [
    ["mixed", mixed(MiB)],
    ["mixed", mixed(10 * MiB - 1024)],
    ["patches", patches(10 * MiB - 1024)],
  ] as const) {
    const source = path.join(dir, "big.ptch");
    writeFileSync(source, text);
    // GNU time's -f gives wall seconds and peak RSS of the one child.
    const run = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, bin, "lint", source], {
      encoding: "utf8",
      stdio: ["ignore", "ignore", "pipe"],
    });
    const [seconds, kilobytes] = run.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
    const megabytes = (text.length / MiB).toFixed(1);
    console.log(`lint of a ${megabytes} MB .ptch, ${kind} (${text.split("\n").length} lines)`);
    console.log(
      `  exit code ${run.status}, whole process ${seconds!.toFixed(2)} s, peak RSS ${(kilobytes! / 1024).toFixed(0)} MiB`,
    );
    console.log(
      JSON.stringify({ bench: "lint-size", kind, bytes: text.length, seconds, peakRssMiB: kilobytes! / 1024 }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
