// Writes Hugging Face model directories for tests of how ptch finds and opens them: config.json, safetensors
// weights (one file or shards with an index) and a tokenizer. The smallest real tokenizer.json serves: byte-level
// BPE over the 256 bytes with no merges, and an end-of-text token.

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { SeededRandom } from "../../runtime/sampling.js";
import { writeSafetensors, type SafetensorsDtype, type SafetensorsTensor } from "./safetensors-writer.js";

/** GPT-2's byte↔unicode table: printable Latin-1 bytes are themselves, the other 68 U+0100 onwards in order. */
function byteLevelAlphabet(): string[] {
  const chars: string[] = [];
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    chars.push(String.fromCharCode(printable ? byte : next++));
  }
  return chars;
}

export const BYTE_LEVEL_EOS_ID = 256;

/** tokenizer.json of a byte-level BPE with one token per byte (ids 0–255) and <|endoftext|> (256). */
export function byteLevelTokenizerJson(): Record<string, unknown> {
  const vocab = Object.fromEntries(byteLevelAlphabet().map((char, id) => [char, id]));
  vocab["<|endoftext|>"] = BYTE_LEVEL_EOS_ID;
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    added_tokens: [
      {
        id: BYTE_LEVEL_EOS_ID,
        content: "<|endoftext|>",
        special: true,
        normalized: false,
        lstrip: false,
        rstrip: false,
        single_word: false,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: { type: "BPE", vocab, merges: [] },
  };
}

export interface HfDirSpec {
  config: Record<string, unknown>;
  tensors: readonly SafetensorsTensor[];
  /** tokenizer.json's content: an object, raw text, or null for none. Default: the byte-level one. */
  tokenizer?: Record<string, unknown> | string | null;
  tokenizerConfig?: Record<string, unknown>;
  /** Split the tensors over this many shards listed by model.safetensors.index.json. */
  shards?: number;
}

export async function writeHfDir(dir: string, spec: HfDirSpec): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "config.json"), JSON.stringify(spec.config, null, 2));
  const tokenizer = spec.tokenizer === undefined ? byteLevelTokenizerJson() : spec.tokenizer;
  if (tokenizer !== null) {
    await writeFile(
      path.join(dir, "tokenizer.json"),
      typeof tokenizer === "string" ? tokenizer : JSON.stringify(tokenizer),
    );
  }
  if (spec.tokenizerConfig)
    await writeFile(path.join(dir, "tokenizer_config.json"), JSON.stringify(spec.tokenizerConfig));
  const shards = spec.shards ?? 1;
  if (shards === 1) {
    await writeFile(path.join(dir, "model.safetensors"), writeSafetensors(spec.tensors));
    return dir;
  }
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}.safetensors`;
    const part = spec.tensors.filter((_, i) => i % shards === s);
    for (const tensor of part) weightMap[tensor.name] = name;
    await writeFile(path.join(dir, name), writeSafetensors(part));
  }
  await writeFile(
    path.join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  return dir;
}

export interface TinyLlamaOptions {
  dtype?: SafetensorsDtype;
  seed?: number;
  /** config.json fields written over the defaults. */
  config?: Record<string, unknown>;
}

/** A one-layer LlamaForCausalLM of width 16 over the byte-level tokenizer, with random weights. */
export function tinyLlama(options: TinyLlamaOptions = {}): HfDirSpec {
  const [d, ff, vocab] = [16, 24, BYTE_LEVEL_EOS_ID + 1];
  const config = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: d,
    intermediate_size: ff,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    num_hidden_layers: 1,
    vocab_size: vocab,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    eos_token_id: BYTE_LEVEL_EOS_ID,
    ...options.config,
  };
  const random = new SeededRandom(options.seed ?? 7);
  const dtype = options.dtype ?? "F32";
  const tensor = (name: string, shape: number[], fill?: number): SafetensorsTensor => ({
    name,
    shape,
    dtype,
    values: Float32Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      () => fill ?? (random.nextDouble() - 0.5) * 0.5,
    ),
  });
  const p = "model.layers.0.";
  const kv = d / 2;
  return {
    config,
    tensors: [
      tensor("model.embed_tokens.weight", [vocab, d]),
      tensor(`${p}input_layernorm.weight`, [d], 1),
      tensor(`${p}self_attn.q_proj.weight`, [d, d]),
      tensor(`${p}self_attn.k_proj.weight`, [kv, d]),
      tensor(`${p}self_attn.v_proj.weight`, [kv, d]),
      tensor(`${p}self_attn.o_proj.weight`, [d, d]),
      tensor(`${p}post_attention_layernorm.weight`, [d], 1),
      tensor(`${p}mlp.gate_proj.weight`, [ff, d]),
      tensor(`${p}mlp.up_proj.weight`, [ff, d]),
      tensor(`${p}mlp.down_proj.weight`, [d, ff]),
      tensor("model.norm.weight", [d], 1),
    ],
  };
}
