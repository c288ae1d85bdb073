// ptch against llama.cpp (node-llama-cpp, prebuilt CPU binaries) on the same GGUF files: the bundled model and a
// random-weight 85M-parameter llama the bench writes. 256 greedy tokens; ptch with three interventions (a prefill
// patch, a steering add at pos=new, a zero ablation at pos=new) against llama.cpp plain. Prints a table and one JSON
// line of ratios. Targets (issue 10): steady tokens/s ≥ 1.0× llama.cpp's, whole process ≤ 1.0×, hook overhead
// ≤ 1.05, cost growth (ms per token at 512 against 64) ≤ 1.3.
//
// `npm run bench` runs it; `node dist/bench/peers.js --quick` runs the bundled model alone (the CI smoke test).

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { compile } from "../compiler/index.js";
import type { Plan } from "../compiler/plan-ir.js";
import { runPlanOnModel } from "../runtime/execute.js";
import { Model } from "../runtime/model.js";
import type { PeerRun } from "./llama-cpp-peer.js";

const root = path.resolve(import.meta.dirname, "..", "..");
const TOKENS = 256;
const THREADS = os.availableParallelism();
const PROMPT = "Once upon a time, there was a little girl named Lily.";
const quick = process.argv.includes("--quick");

const INTERVENTIONS = `prompt other = "Once upon a time, there was a little boy named Tom."
patch resid[L=1, pos=-2] from other into p
add 0.1 * resid[L=1, pos=-1] of other to resid[L=2, pos=new] in p
zero mlp_out[L=1, pos=new] in p
`;

/** The .ptch source of a benchmark case: the model, the prompt, and `body`. */
const sourceOf = (modelPath: string, body: string) =>
  `model ${JSON.stringify(modelPath)}\nprompt p = "${PROMPT}"\n${body}\n`;

function planOf(modelPath: string, body: string): Plan {
  const { plan, diagnostics } = compile(sourceOf(modelPath, body));
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join("\n"));
  return plan;
}

/** One in-process run, warm: its tokens, and the steady decode rate after the first token. */
async function ptchRun(model: Model, plan: Plan): Promise<{ tokens: number[]; steady: number; stepMs: number[] }> {
  const stamps: number[] = [];
  const result = await runPlanOnModel(plan, model, {}, undefined, () => stamps.push(performance.now()));
  const steady = ((stamps.length - 1) / (stamps.at(-1)! - stamps[0]!)) * 1000;
  return { tokens: result.runs[0]!.tokens, steady, stepMs: stamps.slice(1).map((t, i) => t - stamps[i]!) };
}

function wallMs(command: string, args: string[]): { ms: number; stdout: string } {
  const start = performance.now();
  const stdout = execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return { ms: performance.now() - start, stdout };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function benchModel(name: string, modelPath: string, dir: string) {
  const plain = planOf(modelPath, `generate ${TOKENS} from p`);
  const hooked = planOf(modelPath, `${INTERVENTIONS}generate ${TOKENS} from p`);
  const model = await Model.load({ kind: "file", path: modelPath });
  await ptchRun(model, plain); // warm-up: graphs built once per set of sites
  await ptchRun(model, hooked);
  const ptchPlain = await ptchRun(model, plain);
  const ptchHooked = await ptchRun(model, hooked);
  const growth = await ptchRun(model, planOf(modelPath, "generate 520 from p"));
  await model.dispose();

  const peerScript = path.join(root, "dist", "bench", "llama-cpp-peer.js");
  const peerProcess = wallMs(process.execPath, [peerScript, modelPath, String(TOKENS), PROMPT, String(THREADS)]);
  const peer = JSON.parse(peerProcess.stdout) as PeerRun;

  const ptchFile = path.join(dir, `${name}.ptch`);
  writeFileSync(ptchFile, sourceOf(modelPath, `${INTERVENTIONS}generate ${TOKENS} from p`));
  const ptchProcess = wallMs(process.execPath, [path.join(root, "dist", "bin", "ptch.js"), "run", ptchFile, "--quiet"]);

  const perToken = (at: number) => mean(growth.stepMs.slice(at - 4, at + 4));
  return {
    name,
    sameTokens: JSON.stringify(ptchPlain.tokens) === JSON.stringify(peer.tokens.slice(0, ptchPlain.tokens.length)),
    llamaCpp: { steady: peer.steadyTokensPerSecond, processMs: peerProcess.ms },
    ptchPlain: { steady: ptchPlain.steady },
    ptchHooked: { steady: ptchHooked.steady, processMs: ptchProcess.ms },
    ratios: {
      steadyVsLlamaCpp: ptchHooked.steady / peer.steadyTokensPerSecond,
      processVsLlamaCpp: ptchProcess.ms / peerProcess.ms,
      hookOverhead: ptchPlain.steady / ptchHooked.steady,
      costGrowth512vs64: perToken(512) / perToken(64),
    },
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), "ptch-peers-"));
try {
  const models: [string, string][] = [["bundled", path.join(root, "models", "stories260K", "stories260K.gguf")]];
  if (!quick) {
    const file = path.join(dir, "llama85m.gguf");
    execFileSync(path.join(root, "node_modules", ".bin", "tsx"), [
      path.join(root, "bench", "write-random-llama.ts"),
      file,
    ]);
    models.push(["llama 85M f32", file]);
  }
  const results = [];
  for (const [name, file] of models) results.push(await benchModel(name, file, dir));
  console.log(`\n256 greedy tokens, ${THREADS} threads; ptch with 3 interventions, llama.cpp plain`);
  console.log(
    "model            llama.cpp tok/s  ptch tok/s  ptch+3 tok/s  ratio  process ptch/llama.cpp  hooks  growth  same tokens",
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(16)} ${r.llamaCpp.steady.toFixed(0).padStart(15)} ${r.ptchPlain.steady.toFixed(0).padStart(11)} ${r.ptchHooked.steady
        .toFixed(0)
        .padStart(
          13,
        )} ${r.ratios.steadyVsLlamaCpp.toFixed(2).padStart(6)} ${`${(r.ptchHooked.processMs / 1000).toFixed(1)} s / ${(r.llamaCpp.processMs / 1000).toFixed(1)} s`.padStart(23)} ${r.ratios.hookOverhead
        .toFixed(2)
        .padStart(6)} ${r.ratios.costGrowth512vs64.toFixed(2).padStart(7)}  ${r.sameTokens ? "yes" : "NO"}`,
    );
  }
  console.log(
    JSON.stringify({
      bench: "peers",
      results: results.map(({ name, ratios, sameTokens }) => ({ name, sameTokens, ...ratios })),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
