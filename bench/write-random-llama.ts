// Writes the benchmark's random-weight llama GGUF: run with tsx, since its generator is a test helper.
// Usage: tsx bench/write-random-llama.ts OUT.gguf [F32|Q8_0|Q4_0|Q4_1|Q5_0|Q5_1|Q4_K|Q5_K|Q6_K]

import { QUANTIZED_BLOCKS, type QuantizedTypeName } from "../test/support/ggml-quantize.js";
import { writeRandomLlama } from "../test/support/random-llama.js";

const TYPES = ["F32", ...Object.keys(QUANTIZED_BLOCKS)];
const [out, tensorType = "F32"] = process.argv.slice(2);
if (!out || !TYPES.includes(tensorType)) throw new Error(`usage: write-random-llama.ts OUT.gguf [${TYPES.join("|")}]`);
// 12 blocks of width 768 with a 2048-wide SwiGLU: 85M parameters, 341 MB of f32, GPT-2-small-sized.
await writeRandomLlama(out, {
  layers: 12,
  dModel: 768,
  heads: 12,
  ff: 2048,
  contextLength: 1024,
  quietEos: true,
  tensorType: tensorType as "F32" | QuantizedTypeName,
  // Quantized files keep the output matrix apart from the embedding, as llama.cpp's quantizer writes them.
  ...(tensorType === "F32" ? {} : { tiedOutput: false }),
});
