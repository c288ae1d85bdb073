// ptch against llama.cpp (node-llama-cpp, prebuilt CPU binaries) on the same GGUF files: the bundled model and a
// random-weight 85M-parameter llama the bench writes (as f32, Q8_0, Q4_0, Q4_K and Q6_K), and ptch alone on a
// random-weight GPT-2-small-shaped HF directory (llama.cpp reads only GGUF). 256 greedy tokens; ptch with three
// interventions (a prefill patch, a steering add at pos=new, a zero ablation at pos=new) against llama.cpp plain.
// Prints a table and one JSON line of ratios. Targets (issue 10): steady tokens/s ≥ 1.0× llama.cpp's, whole
// process ≤ 1.0×, hook overhead ≤ 1.05, cost growth (ms per token at 512 against 64) ≤ 1.3, first token ≤ 2 s
// after process start (85M). Also: the speedup of a cached step over an uncached recompute at 256 tokens, and
// tokens/s at batch 1 and 8.
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
import { forwardFull, generate } from "../runtime/generate.js";
import { Model } from "../runtime/model.js";
import type { PeerRun } from "./llama-cpp-peer.js";

const root = path.resolve(import.meta.dirname, "..", "..");
const TOKENS = 256;
const THREADS = os.availableParallelism();
const PROMPT = "Once upon a time, there was a little girl named Lily.";
const quick = process.argv.includes("--quick");
/** Cost growth compares the median step over ±GROWTH_WINDOW tokens around the 64th and the GROWTH_AT-th. */
const GROWTH_AT = 512;
const GROWTH_WINDOW = 16;

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

/** The middle of `xs`: a step that a collection or another process interrupted moves it little. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Tokens/s of `rows` copies of the prompt decoded together, 64 new tokens each, prefill included. */
async function throughput(model: Model, rows: number): Promise<number> {
  const promptTokens = model.tokenizer.encode(PROMPT);
  const start = performance.now();
  await generate(
    model,
    Array.from({ length: rows }, () => ({ promptTokens, maxNewTokens: 64 })),
  );
  return (rows * 64 * 1000) / (performance.now() - start);
}

/** ms of one uncached forward pass over `tokens`: what producing the next token costs without a cache. */
async function recomputeMs(model: Model, tokens: number[]): Promise<number> {
  await forwardFull(model, [tokens]);
  const start = performance.now();
  await forwardFull(model, [tokens]);
  return performance.now() - start;
}

async function benchModel(name: string, modelPath: string, dir: string) {
  const plain = planOf(modelPath, `generate ${TOKENS} from p`);
  const hooked = planOf(modelPath, `${INTERVENTIONS}generate ${TOKENS} from p`);
  const model = await Model.load({ kind: "file", path: modelPath });
  await ptchRun(model, plain); // warm-up: graphs built once per set of sites
  await ptchRun(model, hooked);
  const ptchPlain = await ptchRun(model, plain);
  const ptchHooked = await ptchRun(model, hooked);
  const growth = await ptchRun(model, planOf(modelPath, `generate ${GROWTH_AT + GROWTH_WINDOW} from p`));
  const uncachedMs = await recomputeMs(model, [...model.tokenizer.encode(PROMPT), ...ptchPlain.tokens]);
  const batch1 = await throughput(model, 1);
  const batch8 = await throughput(model, 8);
  await model.dispose();

  // llama.cpp reads GGUF files only.
  const peer = modelPath.endsWith(".gguf") ? runLlamaCpp(modelPath) : undefined;

  const ptchFile = path.join(dir, `${name}.ptch`);
  writeFileSync(ptchFile, sourceOf(modelPath, `${INTERVENTIONS}generate ${TOKENS} from p`));
  const ptchProcess = wallMs(process.execPath, [path.join(root, "dist", "bin", "ptch.js"), "run", ptchFile, "--quiet"]);
  // Start-up: a whole process that loads the model, builds its graph, prefills and generates one token.
  const firstTokenFile = path.join(dir, `${name}-first-token.ptch`);
  writeFileSync(firstTokenFile, sourceOf(modelPath, "generate 1 from p"));
  const firstToken = wallMs(process.execPath, [
    path.join(root, "dist", "bin", "ptch.js"),
    "run",
    firstTokenFile,
    "--quiet",
  ]);

  const perToken = (at: number) => median(growth.stepMs.slice(at - GROWTH_WINDOW, at + GROWTH_WINDOW));
  return {
    name,
    sameTokens:
      peer && JSON.stringify(ptchPlain.tokens) === JSON.stringify(peer.run.tokens.slice(0, ptchPlain.tokens.length)),
    llamaCpp: peer && { steady: peer.run.steadyTokensPerSecond, processMs: peer.processMs },
    ptchPlain: { steady: ptchPlain.steady },
    ptchHooked: { steady: ptchHooked.steady, processMs: ptchProcess.ms },
    batch1,
    batch8,
    ratios: {
      steadyVsLlamaCpp: peer && ptchHooked.steady / peer.run.steadyTokensPerSecond,
      processVsLlamaCpp: peer && ptchProcess.ms / peer.processMs,
      hookOverhead: ptchPlain.steady / ptchHooked.steady,
      costGrowth512vs64: perToken(GROWTH_AT) / perToken(64),
      recomputeSpeedupAt256: uncachedMs / perToken(256),
      firstTokenSeconds: firstToken.ms / 1000,
    },
  };
}

function runLlamaCpp(modelPath: string): { run: PeerRun; processMs: number } {
  const peerScript = path.join(root, "dist", "bench", "llama-cpp-peer.js");
  const peerProcess = wallMs(process.execPath, [peerScript, modelPath, String(TOKENS), PROMPT, String(THREADS)]);
  return { run: JSON.parse(peerProcess.stdout) as PeerRun, processMs: peerProcess.ms };
}

const fixed = (x: number | undefined, digits: number) => (x === undefined ? "—" : x.toFixed(digits));

const dir = mkdtempSync(path.join(os.tmpdir(), "ptch-peers-"));
try {
  const models: [string, string][] = [["bundled", path.join(root, "models", "stories260K", "stories260K.gguf")]];
  if (!quick) {
    const tsx = path.join(root, "node_modules", ".bin", "tsx");
    // The same shape as float32 and as the quantized types ptch keeps quantized (MatMulNBits).
    for (const type of ["F32", "Q8_0", "Q4_0", "Q4_K", "Q6_K"]) {
      const llama = path.join(dir, `llama85m-${type}.gguf`);
      execFileSync(tsx, [path.join(root, "bench", "write-random-llama.ts"), llama, type]);
      models.push([`llama 85M ${type.toLowerCase()}`, llama]);
    }
    const gpt2 = path.join(dir, "gpt2-small");
    execFileSync(tsx, [path.join(root, "bench", "write-random-gpt2.ts"), gpt2]);
    models.push(["GPT-2 small HF", gpt2]);
  }
  const results: Awaited<ReturnType<typeof benchModel>>[] = [];
  for (const [name, file] of models) results.push(await benchModel(name, file, dir));
  console.log(`\n${TOKENS} greedy tokens, ${THREADS} threads; ptch with 3 interventions, llama.cpp plain`);
  const columns: [string, (r: (typeof results)[number]) => string][] = [
    ["llama.cpp tok/s", (r) => fixed(r.llamaCpp?.steady, 0)],
    ["ptch tok/s", (r) => fixed(r.ptchPlain.steady, 0)],
    ["ptch+3 tok/s", (r) => fixed(r.ptchHooked.steady, 0)],
    ["ratio", (r) => fixed(r.ratios.steadyVsLlamaCpp, 2)],
    [
      "process ptch / llama.cpp",
      (r) =>
        `${fixed(r.ptchHooked.processMs / 1000, 1)} s / ${r.llamaCpp ? `${fixed(r.llamaCpp.processMs / 1000, 1)} s` : "—"}`,
    ],
    ["first token", (r) => `${fixed(r.ratios.firstTokenSeconds, 2)} s`],
    ["hooks", (r) => fixed(r.ratios.hookOverhead, 2)],
    ["growth", (r) => fixed(r.ratios.costGrowth512vs64, 2)],
    ["vs recompute", (r) => `${fixed(r.ratios.recomputeSpeedupAt256, 1)}×`],
    ["batch 1 / 8 tok/s", (r) => `${fixed(r.batch1, 0)} / ${fixed(r.batch8, 0)}`],
    ["same tokens", (r) => (r.sameTokens === undefined ? "—" : r.sameTokens ? "yes" : "NO")],
  ];
  console.log(["model".padEnd(16), ...columns.map(([title]) => title)].join("  "));
  for (const r of results)
    console.log([r.name.padEnd(16), ...columns.map(([title, cell]) => cell(r).padStart(title.length))].join("  "));
  console.log(
    JSON.stringify({
      bench: "peers",
      results: results.map(({ name, ratios, sameTokens, batch1, batch8 }) => ({
        name,
        sameTokens,
        ...ratios,
        batch1TokensPerSecond: batch1,
        batch8TokensPerSecond: batch8,
      })),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
