// Lint on a 1 MB generated .ptch (issue 11: every input up to 10 MB lints in seconds, well under 2 GB): the
// whole process's time and peak RSS, for a file of many prompts, interventions, measures and generations.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..", "..");
const bin = path.join(root, "dist", "bin", "ptch.js");
const TARGET_BYTES = 2 ** 20;

/** Statements in rotation, each on its own prompt, until the file reaches 1 MB. */
function generatedSource(): string {
  const lines = ['model "stories260K"'];
  let size = lines[0]!.length;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const block = [
      `prompt p${i} = "Once upon a time, there was a little girl named Lily ${i}."`,
      `patch resid[L=${i % 5}, pos=-2] from p${i} into p${i}`,
      `measure m${i} = logit_diff(" She", " He") of p${i}`,
      `generate 4 from p${i}`,
    ];
    lines.push(...block);
    size += block.join("\n").length + 1;
  }
  return lines.join("\n") + "\n";
}

const dir = mkdtempSync(path.join(os.tmpdir(), "ptch-bench-lint-"));
try {
  const source = path.join(dir, "big.ptch");
  const text = generatedSource();
  writeFileSync(source, text);
  // GNU time's -f gives wall seconds and peak RSS of the one child.
  const run = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, bin, "lint", source], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const [seconds, kilobytes] = run.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  console.log(`lint of a ${(text.length / 2 ** 20).toFixed(1)} MB .ptch (${text.split("\n").length} lines)`);
  console.log(
    `  exit code ${run.status}, whole process ${seconds!.toFixed(2)} s, peak RSS ${(kilobytes! / 1024).toFixed(0)} MiB`,
  );
  console.log(JSON.stringify({ bench: "lint-size", bytes: text.length, seconds, peakRssMiB: kilobytes! / 1024 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
