// What one architecture provides: how its files describe it (config.json, GGUF metadata) and where its weights
// are, by name. The graph comes from the shared blocks in runtime/graph/, driven by the ModelConfig.

import { ModelFormatError } from "../errors.js";
import type { GgufFile } from "../formats/gguf.js";
import type { Activation, ModelConfig, TransformerWeights } from "./config.js";
import type { WeightReader } from "./tensors.js";

export interface Architecture {
  /** The HF classes (config.json `architectures`) it reads. */
  readonly hfClasses: readonly string[];
  /** The GGUF `general.architecture` values it reads. */
  readonly ggufArchitectures: readonly string[];
  configFromHf?(config: HfConfig): ModelConfig;
  configFromGguf?(gguf: GgufFile): ModelConfig;
  weightsFromHf?(reader: WeightReader, config: ModelConfig): TransformerWeights;
  weightsFromGguf?(reader: WeightReader, config: ModelConfig): TransformerWeights;
}

/** The largest size any hyperparameter of a real model has (context lengths reach 2^20; vocabularies 2^18). */
export const MAX_HYPERPARAMETER = 2 ** 24;

/** A parsed config.json, with accessors whose errors name the file and the key. */
export class HfConfig {
  constructor(
    readonly json: Readonly<Record<string, unknown>>,
    readonly file: string,
  ) {}

  get architecture(): string {
    return (this.json["architectures"] as string[])[0]!;
  }

  has(key: string): boolean {
    return this.json[key] !== undefined && this.json[key] !== null;
  }

  number(key: string, fallback?: number): number {
    const value = this.json[key];
    if ((value === undefined || value === null) && fallback !== undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new ModelFormatError(
        value === undefined
          ? `config.json has no '${key}'`
          : `'${key}' in config.json is ${JSON.stringify(value)}, not a number`,
        this.file,
      );
    }
    return value;
  }

  /** A positive whole number in range, as every size is. */
  count(key: string, fallback?: number): number {
    const value = this.number(key, fallback);
    if (!Number.isInteger(value) || value <= 0 || value > MAX_HYPERPARAMETER) {
      throw new ModelFormatError(
        `'${key}' in config.json is ${value}, not a whole number from 1 to ${MAX_HYPERPARAMETER}`,
        this.file,
      );
    }
    return value;
  }

  /** An epsilon or a base: a positive finite number. */
  positive(key: string, fallback?: number): number {
    const value = this.number(key, fallback);
    if (value <= 0) {
      throw new ModelFormatError(`'${key}' in config.json is ${value}, not a positive number`, this.file);
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.json[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") {
      throw new ModelFormatError(`'${key}' in config.json is ${JSON.stringify(value)}, not true or false`, this.file);
    }
    return value;
  }

  string(key: string, fallback: string): string {
    const value = this.json[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "string") {
      throw new ModelFormatError(`'${key}' in config.json is ${JSON.stringify(value)}, not a string`, this.file);
    }
    return value;
  }

  fail(message: string): ModelFormatError {
    return new ModelFormatError(message, this.file);
  }
}

/** Checks the attention shape every architecture shares; returns the head width. */
export function checkedHeadDim(
  dModel: number,
  nHeads: number,
  nKvHeads: number,
  fail: (message: string) => Error,
  headDim: number = dModel / nHeads,
): number {
  if (!Number.isInteger(headDim) || nHeads % nKvHeads !== 0 || headDim % 2 !== 0) {
    throw fail(`inconsistent attention shape: width ${dModel}, ${nHeads} heads, ${nKvHeads} key/value heads`);
  }
  return headDim;
}

/** An HF activation name (`activation_function`, `hidden_act`) as the graph's activation. */
export function activationOf(hf: HfConfig, key: string, fallback: string): Activation {
  const name = hf.string(key, fallback);
  switch (name) {
    case "gelu":
      return "gelu";
    // PyTorch's tanh approximation is GPT-2's gelu_new, term for term.
    case "gelu_new":
    case "gelu_pytorch_tanh":
      return "gelu_new";
    case "silu":
      return "silu";
    default:
      throw hf.fail(
        `activation '${name}' (${key}) is not supported; supported: gelu, gelu_new, gelu_pytorch_tanh, silu`,
      );
  }
}
