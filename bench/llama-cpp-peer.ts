// The bench's peer: llama.cpp through node-llama-cpp, generating greedily from a GGUF on the CPU. Run as its own
// process by bench/peers.ts (`node dist/bench/llama-cpp-peer.js MODEL.gguf TOKENS "PROMPT"`), it prints one JSON
// line: the tokens, when the first came (from process start), and the steady decode rate after it.

import { performance } from "node:perf_hooks";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

export interface PeerRun {
  tokens: number[];
  firstTokenMs: number;
  steadyTokensPerSecond: number;
}

/** Greedy tokens from `prompt` (BOS first, as ptch's bundled tokenizer adds it), timed. */
export async function llamaCppGreedy(
  modelPath: string,
  count: number,
  prompt: string,
  threads: number,
): Promise<PeerRun> {
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: 1024, threads, batchSize: 512 });
  const sequence = context.getSequence();
  const bos = model.tokens.bos;
  const input = [...(bos === null ? [] : [bos]), ...model.tokenize(prompt, false)];
  const tokens: number[] = [];
  let firstTokenMs = 0;
  let firstAt = 0;
  for await (const token of sequence.evaluate(input, { temperature: 0 })) {
    if (tokens.length === 0) {
      firstAt = performance.now();
      firstTokenMs = firstAt;
    }
    tokens.push(token);
    if (tokens.length >= count) break;
  }
  const steadyTokensPerSecond = ((tokens.length - 1) / (performance.now() - firstAt)) * 1000;
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { tokens, firstTokenMs, steadyTokensPerSecond };
}

if (process.argv[1]?.endsWith("llama-cpp-peer.js")) {
  const [modelPath, count, prompt, threads] = process.argv.slice(2);
  const run = await llamaCppGreedy(modelPath!, Number(count), prompt!, Number(threads ?? 2));
  console.log(JSON.stringify(run));
}
