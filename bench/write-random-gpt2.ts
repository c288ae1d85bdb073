// Writes the benchmark's random-weight GPT-2-small-shaped HF directory (12 layers, width 768, 12 heads, GPT-2's
// real 50257-token vocabulary, 1024 positions): run with tsx, since its generators are test helpers.
// Usage: tsx bench/write-random-gpt2.ts OUT_DIR

import { EOT, gpt2TokenizerJson } from "../test/support/gpt2-vocabulary.js";
import { writeHfDir } from "../test/support/hf-dir-writer.js";
import { gpt2Dir, randomTransformer } from "../test/support/model-layouts.js";

const out = process.argv[2];
if (!out) throw new Error("usage: write-random-gpt2.ts OUT_DIR");
const model = randomTransformer({
  config: {
    ...{ nLayers: 12, dModel: 768, nHeads: 12, nKvHeads: 12, headDim: 64, dFF: 3072, normEps: 1e-5 },
    ...{ norm: "layernorm", rotaryDim: 0, ropeTheta: 0, activation: "gelu_tanh", gated: false, parallel: false },
  },
  learnedPositions: 1024,
  biases: { qkv: true, attnOut: true, mlp: true, norm: true },
  tied: true,
  seed: 124,
  vocabSize: 50257,
});
const spec = gpt2Dir(model);
await writeHfDir(out, {
  ...spec,
  config: { ...spec.config, bos_token_id: EOT, eos_token_id: EOT },
  tokenizer: gpt2TokenizerJson,
  tokenizerConfig: { model_max_length: 1024 },
});
