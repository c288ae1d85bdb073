// Benchmarks: generation speed with and without interventions, and how long lint takes, on the bundled
// model. Speed targets live here, never in unit tests. Run with `npm run bench`.

import { execFileSync } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { compile } from "../compiler/index.js";
import type { Plan } from "../compiler/plan-ir.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { lint } from "../runtime/lint.js";
import { Model } from "../runtime/model.js";

const PREAMBLE = `model "stories260K"
prompt source = "Once upon a time, there was a little girl named Lily."
prompt target = "Once upon a time, there was a little boy named Tom."
`;

const CASES: Record<string, string> = {
  "greedy, no interventions": "generate 200 from target",
  "patch at prefill": "patch resid[L=1, pos=-2] from source into target\ngenerate 200 from target",
  "steer every new token":
    'add 0.3 * (resid[L=2, pos=-1] of "Lily" - resid[L=2, pos=-1] of "Tom") to resid[L=2, pos=new] in target\ngenerate 200 from target',
  "8 generations in one batch": Array.from({ length: 8 }, () => "generate 200 from target").join("\n"),
};

function planOf(body: string): Plan {
  const { plan, diagnostics } = compile(PREAMBLE + body);
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return plan;
}

async function median(times: number, f: () => Promise<void>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await f();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const model = await Model.load({ kind: "bundled", name: "stories260K" });
console.log("case                          ms/run   tokens/s");
for (const [name, body] of Object.entries(CASES)) {
  const plan = planOf(body);
  let tokens = 0;
  await runPlanOnModel(plan, model); // warm-up: graph compilation is cached per set of sites
  const ms = await median(5, async () => {
    const result = await runPlanOnModel(plan, model);
    tokens = result.runs.reduce((sum, r) => sum + r.tokens.length, 0);
  });
  console.log(`${name.padEnd(28)} ${ms.toFixed(1).padStart(8)} ${((tokens / ms) * 1000).toFixed(0).padStart(10)}`);
}
await model.dispose();

const lintMs = await median(5, async () => {
  await lint(PREAMBLE + CASES["steer every new token"]!, { baseDir: process.cwd() });
});
console.log(`lint (in process)             ${lintMs.toFixed(1).padStart(8)}`);
// What an editor's on-save hook pays: a whole `ptch lint` process, start-up included.
const bin = path.resolve(import.meta.dirname, "..", "bin", "ptch.js");
const examples = path.resolve(import.meta.dirname, "..", "..", "examples");
const lintProcessMs = await median(5, async () => {
  execFileSync(process.execPath, [bin, "lint", path.join(examples, "steer.ptch")]);
});
console.log(`ptch lint (whole process)     ${lintProcessMs.toFixed(1).padStart(8)}`);
console.log(`peak RSS                      ${(process.memoryUsage().rss / 2 ** 20).toFixed(0).padStart(8)} MiB`);
