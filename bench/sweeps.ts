// A 6 × 6 Patchscopes grid (source layer × target layer) with a measure and a short generation per point, on the
// bundled model: run batched (every point through the model together, equal runs shared), and point by point.
// Target: batched at least 4× faster.

import { performance } from "node:perf_hooks";
import { compile } from "../compiler/index.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { Model } from "../runtime/model.js";

const SOURCE = `model "stories260K"
prompt source = "Once upon a time, there was a little girl named Lily"
prompt identity = "cat -> cat; 1135 -> 1135; hello -> hello; ?"
sweep s in 0..5
sweep t in 0..5
patch resid[pos=-1] from source[L=s] into identity[L=t]
measure p = prob(" Lily") of identity
generate 16 from identity
`;

const { plan } = compile(SOURCE);
if (!plan) throw new Error("the benchmark's plan does not compile");
const model = await Model.load({ kind: "bundled", name: "stories260K" });

async function best(times: number, f: () => Promise<void>): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    await f();
    fastest = Math.min(fastest, performance.now() - start);
  }
  return fastest;
}

await runPlanOnModel(plan, model); // warm-up: the graph with every point's slots is built once
const batched = await best(5, async () => {
  await runPlanOnModel(plan, model);
});
const pointByPoint = await best(3, async () => {
  for (let s = 0; s <= 5; s++) for (let t = 0; t <= 5; t++) await runPlanOnModel(plan, model, { s, t });
});
await model.dispose();

const speedup = pointByPoint / batched;
console.log(`\n6 × 6 grid (36 points, a measure and 16 tokens each)`);
console.log(`batched          ${batched.toFixed(0).padStart(7)} ms`);
console.log(`point by point   ${pointByPoint.toFixed(0).padStart(7)} ms`);
console.log(`speedup          ${speedup.toFixed(1).padStart(7)}×   (target ≥ 4×)`);
console.log(JSON.stringify({ bench: "sweeps", batchedMs: batched, pointByPointMs: pointByPoint, speedup }));
