// Writes the benchmark's random-weight llama GGUF: run with tsx, since its generator is a test helper.
// Usage: tsx bench/write-random-llama.ts OUT.gguf

import { writeRandomLlama } from "../test/support/random-llama.js";

const out = process.argv[2];
if (!out) throw new Error("usage: write-random-llama.ts OUT.gguf");
// 12 blocks of width 768 with a 2048-wide SwiGLU: 85M parameters, 341 MB of f32, GPT-2-small-sized.
await writeRandomLlama(out, { layers: 12, dModel: 768, heads: 12, ff: 2048, contextLength: 1024, quietEos: true });
