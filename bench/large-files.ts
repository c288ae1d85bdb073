// Metadata-only commands on a file far past 2 GiB: `ptch lint` and `ptch model` on a sparse 7B-shaped GGUF
// (13 GB) read only its header, metadata and vocabulary, so each whole process takes about a second.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const root = path.resolve(import.meta.dirname, "..", "..");
const bin = path.join(root, "dist", "bin", "ptch.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "ptch-bench-large-"));
try {
  const model = path.join(dir, "llama7b.gguf");
  execFileSync(path.join(root, "node_modules", ".bin", "tsx"), [path.join(root, "bench", "write-7b-gguf.ts"), model]);
  const source = path.join(dir, "patch.ptch");
  writeFileSync(
    source,
    `model "./llama7b.gguf"\nprompt a = "the cat sat"\nprompt b = "the dog sat"\nsweep l in 0..31\npatch resid[L=l, pos=-1] from a into b\ngenerate 20 from b\n`,
  );
  const time = (args: string[]) => {
    const start = performance.now();
    execFileSync(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "inherit"] });
    return performance.now() - start;
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`7B-shaped GGUF: ${(statSync(model).size / 1e9).toFixed(1)} GB (sparse)`);
  console.log("command                      median ms (5 whole processes)");
  console.log(
    `ptch lint                    ${median([0, 1, 2, 3, 4].map(() => time(["lint", source])))
      .toFixed(0)
      .padStart(8)}`,
  );
  console.log(
    `ptch model                   ${median([0, 1, 2, 3, 4].map(() => time(["model", model])))
      .toFixed(0)
      .padStart(8)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
