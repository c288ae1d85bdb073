// Writes a sparse GGUF shaped like Llama 2 7B (32 blocks of width 4096, f16 matrices, a 32000-token SentencePiece
// vocabulary): the header and metadata are real, the 13 GB of weights a hole of zeros. Run with tsx, since its
// writer is a test helper. Usage: tsx bench/write-7b-gguf.ts OUT.gguf

import { openSync, closeSync, writeSync, ftruncateSync } from "node:fs";
import { GgmlType } from "../runtime/formats/ggml-types.js";
import { gv, writeGgufHeader, type GgufTensorLayout } from "../test/support/gguf-writer.js";

const out = process.argv[2];
if (!out) throw new Error("usage: write-7b-gguf.ts OUT.gguf");
const [layers, d, ff, vocab] = [32, 4096, 11008, 32000];

const tensors: GgufTensorLayout[] = [];
const f16 = (name: string, dims: number[]) =>
  tensors.push({ name, dims, type: GgmlType.F16, byteLength: 2 * dims.reduce((a, b) => a * b, 1) });
const f32 = (name: string, width: number) =>
  tensors.push({ name, dims: [width], type: GgmlType.F32, byteLength: 4 * width });
f16("token_embd.weight", [d, vocab]);
for (let l = 0; l < layers; l++) {
  const p = `blk.${l}.`;
  f32(`${p}attn_norm.weight`, d);
  for (const name of ["attn_q", "attn_k", "attn_v", "attn_output"]) f16(`${p}${name}.weight`, [d, d]);
  f32(`${p}ffn_norm.weight`, d);
  f16(`${p}ffn_gate.weight`, [d, ff]);
  f16(`${p}ffn_up.weight`, [d, ff]);
  f16(`${p}ffn_down.weight`, [ff, d]);
}
f32("output_norm.weight", d);
f16("output.weight", [d, vocab]);

// Control tokens, the 256 byte tokens, then pieces of the letters, as a SentencePiece vocabulary orders them.
const pieces = [
  "<unk>",
  "<s>",
  "</s>",
  ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`),
];
const letters = "abcdefghijklmnopqrstuvwxyz";
for (let i = 0; pieces.length < vocab; i++) {
  let piece = "";
  for (let n = i; ; n = Math.floor(n / 26) - 1) {
    piece = letters[n % 26] + piece;
    if (n < 26) break;
  }
  pieces.push(i % 2 === 0 ? `▁${piece}` : piece);
}
const { header, fileLength } = writeGgufHeader({
  metadata: {
    "general.architecture": gv.str("llama"),
    "general.name": gv.str("llama-2-7b-shaped"),
    "llama.block_count": gv.u32(layers),
    "llama.embedding_length": gv.u32(d),
    "llama.feed_forward_length": gv.u32(ff),
    "llama.attention.head_count": gv.u32(32),
    "llama.attention.head_count_kv": gv.u32(32),
    "llama.attention.layer_norm_rms_epsilon": gv.f32(1e-5),
    "llama.context_length": gv.u32(4096),
    "llama.rope.dimension_count": gv.u32(128),
    "tokenizer.ggml.model": gv.str("llama"),
    "tokenizer.ggml.tokens": gv.array("string", pieces),
    "tokenizer.ggml.scores": gv.array(
      "float32",
      pieces.map((_, id) => -id),
    ),
    "tokenizer.ggml.token_type": gv.array(
      "int32",
      pieces.map((_, id) => (id === 0 ? 2 : id < 3 ? 3 : id < 259 ? 6 : 1)),
    ),
    "tokenizer.ggml.bos_token_id": gv.u32(1),
    "tokenizer.ggml.eos_token_id": gv.u32(2),
  },
  tensors,
});
const fd = openSync(out, "w");
try {
  writeSync(fd, header);
  ftruncateSync(fd, fileLength);
} finally {
  closeSync(fd);
}
