// Memory and start-up on a GPT-2-small-sized model (a random-weight 85M-parameter llama GGUF, as f32, Q8_0,
// Q4_0, Q4_K and Q6_K): peak RSS of whole `ptch run` processes, for a plain generation and for a 6-point layer sweep,
// against the target peak ≤ 1.5 × the file's bytes + 300 MiB (quantized matrices stay quantized, so memory
// follows the file); and the time from process start to the first generated token (< 3 s).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

const root = path.resolve(import.meta.dirname, "..", "..");
const bin = path.join(root, "dist", "bin", "ptch.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "ptch-bench-"));
try {
  // Each child reports its peak resident set (getrusage's ru_maxrss) as it exits.
  const reporter = path.join(dir, "report-rss.mjs");
  const rssFile = path.join(dir, "rss");
  writeFileSync(
    reporter,
    `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)));\n`,
  );
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const cases: [string, string][] = [
    ["plain, 128 tokens", "generate 128 from p"],
    [
      "6-point layer sweep, 8 tokens",
      'sweep l in [1, 3, 5, 7, 9, 11]\nprompt q = "Once upon a time, there was a little boy named Tom."\npatch resid[L=l, pos=-2] from q into p\ngenerate 8 from p',
    ],
  ];
  for (const type of ["F32", "Q8_0", "Q4_0", "Q4_K", "Q6_K"]) {
    const model = path.join(dir, `llama85m-${type}.gguf`);
    execFileSync(path.join(root, "node_modules", ".bin", "tsx"), [
      path.join(root, "bench", "write-random-llama.ts"),
      model,
      type,
    ]);
    const run = (name: string, body: string) => {
      const file = path.join(dir, `${name}.ptch`);
      writeFileSync(
        file,
        `model ${JSON.stringify(model)}\nprompt p = "Once upon a time, there was a little girl named Lily."\n${body}\n`,
      );
      const start = performance.now();
      execFileSync(process.execPath, ["--import", reporter, bin, "run", file], {
        stdio: ["ignore", "ignore", "inherit"],
      });
      return { ms: performance.now() - start, peak: Number(readFileSync(rssFile, "utf8")) };
    };
    const fileBytes = statSync(model).size;
    const target = 1.5 * fileBytes + 300 * 2 ** 20;
    console.log(`\nmodel: ${type}, a ${mib(fileBytes)} file; peak RSS target ${mib(target)}`);
    console.log("case                                  wall ms    peak RSS   within target");
    for (const [name, body] of cases) {
      const { ms, peak } = run(name.replace(/\W+/g, "-"), body);
      console.log(
        `${name.padEnd(36)} ${ms.toFixed(0).padStart(8)} ${mib(peak).padStart(11)}   ${peak <= target ? "yes" : "NO"}`,
      );
    }
    const first = run("first-token", "generate 1 from p");
    console.log(`first token, from process start      ${first.ms.toFixed(0).padStart(8)}   (target < 3000 ms)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
