// Converts a llama GGUF into the Hugging Face directory transformers would save for the same model, the way
// llama.cpp's converter runs in reverse: q/k rows back from adjacent pairs to halves, tensor names, config.json,
// and a Llama-2-style tokenizer.json (BPE over the SentencePiece pieces with byte fallback, merges ranked by the
// merged piece's score, as transformers' LlamaConverter builds them). It lets real weights check the HF path.

import type { GgufFile } from "../../runtime/formats/gguf.js";
import type { HfDirSpec } from "./hf-dir-writer.js";
import { pairsToHalvesRows } from "./reference-forward.js";
import type { SafetensorsDtype, SafetensorsTensor } from "./safetensors-writer.js";

/** SentencePiece token types as GGUF stores them. */
const CONTROL = 3;
const UNKNOWN = 2;

/** Merges of a SentencePiece BPE vocabulary: every pair whose concatenation is a piece, best-scored piece first. */
function spmMerges(pieces: readonly string[], scores: readonly number[], normal: (id: number) => boolean): string[] {
  const ids = new Map(pieces.map((piece, id) => [piece, id]));
  const merges: { pair: string; score: number; left: number; right: number }[] = [];
  pieces.forEach((left, leftId) => {
    if (!normal(leftId)) return;
    pieces.forEach((right, rightId) => {
      if (!normal(rightId)) return;
      const merged = ids.get(left + right);
      if (merged !== undefined && normal(merged)) {
        merges.push({ pair: `${left} ${right}`, score: scores[merged]!, left: leftId, right: rightId });
      }
    });
  });
  merges.sort((a, b) => b.score - a.score || a.left - b.left || a.right - b.right);
  return merges.map((m) => m.pair);
}

export function llama2TokenizerJson(gguf: GgufFile): Record<string, unknown> {
  const pieces = gguf.getStringArray("tokenizer.ggml.tokens");
  const scores = gguf.getNumberArray("tokenizer.ggml.scores");
  const types = gguf.getNumberArray("tokenizer.ggml.token_type");
  const special = (id: number) => types[id] === CONTROL || types[id] === UNKNOWN;
  // Byte pieces (<0x0A>) are reached by byte fallback, never by merges.
  const normal = (id: number) => types[id] === 1;
  const bosId = gguf.getNumber("tokenizer.ggml.bos_token_id");
  const bos = pieces[bosId]!;
  const unk = pieces[types.indexOf(UNKNOWN)]!;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: pieces.flatMap((content, id) =>
      special(id)
        ? [{ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }]
        : [],
    ),
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab: Object.fromEntries(pieces.map((piece, id) => [piece, id])),
      merges: spmMerges(pieces, scores, normal),
    },
  };
}

/** The HF directory of a llama GGUF's model, weights in `dtype`. */
export function llamaGgufToHf(gguf: GgufFile, dtype: SafetensorsDtype): HfDirSpec {
  const n = (key: string) => gguf.getNumber(`llama.${key}`);
  const [dModel, nHeads, nLayers] = [n("embedding_length"), n("attention.head_count"), n("block_count")];
  const nKvHeads = gguf.has("llama.attention.head_count_kv") ? n("attention.head_count_kv") : nHeads;
  const headDim = dModel / nHeads;
  const tensors: SafetensorsTensor[] = [];
  const add = (hfName: string, ggufName: string, transform?: (values: Float32Array) => Float32Array) => {
    const values = gguf.tensorF32(ggufName);
    const shape = [...gguf.tensorInfo(ggufName).dims].reverse().map(Number);
    tensors.push({ name: hfName, shape, dtype, values: transform ? transform(values) : values });
  };
  const halves = (values: Float32Array) => pairsToHalvesRows(values, headDim, dModel);
  add("model.embed_tokens.weight", "token_embd.weight");
  for (let l = 0; l < nLayers; l++) {
    const [hf, gg] = [`model.layers.${l}.`, `blk.${l}.`];
    add(`${hf}input_layernorm.weight`, `${gg}attn_norm.weight`);
    add(`${hf}self_attn.q_proj.weight`, `${gg}attn_q.weight`, halves);
    add(`${hf}self_attn.k_proj.weight`, `${gg}attn_k.weight`, halves);
    add(`${hf}self_attn.v_proj.weight`, `${gg}attn_v.weight`);
    add(`${hf}self_attn.o_proj.weight`, `${gg}attn_output.weight`);
    add(`${hf}post_attention_layernorm.weight`, `${gg}ffn_norm.weight`);
    add(`${hf}mlp.gate_proj.weight`, `${gg}ffn_gate.weight`);
    add(`${hf}mlp.up_proj.weight`, `${gg}ffn_up.weight`);
    add(`${hf}mlp.down_proj.weight`, `${gg}ffn_down.weight`);
  }
  add("model.norm.weight", "output_norm.weight");
  const tied = !gguf.tensors.has("output.weight");
  if (!tied) add("lm_head.weight", "output.weight");
  const bos = gguf.getNumber("tokenizer.ggml.bos_token_id");
  const eos = gguf.getNumber("tokenizer.ggml.eos_token_id");
  const pieces = gguf.getStringArray("tokenizer.ggml.tokens");
  return {
    config: {
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: dModel,
      intermediate_size: n("feed_forward_length"),
      num_attention_heads: nHeads,
      num_key_value_heads: nKvHeads,
      num_hidden_layers: nLayers,
      vocab_size: pieces.length,
      max_position_embeddings: n("context_length"),
      rms_norm_eps: n("attention.layer_norm_rms_epsilon"),
      rope_theta: gguf.has("llama.rope.freq_base") ? n("rope.freq_base") : 10000,
      hidden_act: "silu",
      tie_word_embeddings: tied,
      bos_token_id: bos,
      eos_token_id: eos,
      torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[dtype],
    },
    tensors,
    tokenizer: llama2TokenizerJson(gguf),
    tokenizerConfig: {
      add_bos_token: true,
      add_eos_token: false,
      bos_token: pieces[bos],
      eos_token: pieces[eos],
      unk_token: pieces[gguf.getNumberArray("tokenizer.ggml.token_type").indexOf(UNKNOWN)],
      tokenizer_class: "LlamaTokenizer",
    },
  };
}
