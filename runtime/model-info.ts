// What `ptch model` and `ptch tokenize` report, as data: a model's shape, files and sites, and how a text
// tokenizes, with the positions that `pos=` counts. Reads headers and metadata only.

import { siteShape } from "../compiler/model-check.js";
import { SITES } from "../compiler/sites.js";
import { absentSites } from "./architectures/config.js";
import type { OpenedModel } from "./model-files.js";
import type { Tokenizer } from "./tokenizers/tokenizer.js";

export interface SiteDescription {
  /** As a program writes it; aliases are listed with what they stand for. */
  name: string;
  aliasOf?: string;
  /** Layers L may take, first and last. */
  layers: [number, number];
  /** Per-position shape. */
  shape: number[];
  /** Why the model lacks the site, when it does. */
  absent?: string;
}

export interface ModelDescription {
  path: string;
  format: "gguf" | "hf";
  architecture: string;
  layers: number;
  width: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffWidth: number;
  /** Tokens the tokenizer knows; embeddingRows may be larger (padding). */
  vocabulary: number;
  embeddingRows: number;
  contextLength: number;
  parameters: number;
  tensorTypes: Record<string, number>;
  bos: { added: boolean; id?: number; piece?: string };
  eos: { id: number; piece: string };
  sites: SiteDescription[];
}

export function describeModel(model: OpenedModel): ModelDescription {
  const { config, tokenizer } = model;
  const absent = absentSites(config);
  const sites = [...SITES].map(([name, spec]): SiteDescription => {
    const layerCount = spec.site === "resid" ? config.nLayers + 1 : config.nLayers;
    const reason = absent.get(spec.site);
    return {
      name,
      ...(name === spec.site ? {} : { aliasOf: spec.site }),
      layers: [0, layerCount - 1 - spec.layerOffset],
      shape: siteShape(spec.site, config),
      ...(reason === undefined ? {} : { absent: reason }),
    };
  });
  const bosId = tokenizer.bosId;
  return {
    path: model.path,
    format: model.format,
    architecture: config.architecture,
    layers: config.nLayers,
    width: config.dModel,
    heads: config.nHeads,
    kvHeads: config.nKvHeads,
    headDim: config.headDim,
    ffWidth: config.dFF,
    vocabulary: tokenizer.vocabSize,
    embeddingRows: config.vocabSize,
    contextLength: config.contextLength,
    parameters: model.parameterCount,
    tensorTypes: Object.fromEntries(model.tensorTypes),
    bos: {
      added: tokenizer.addBos,
      ...(bosId === undefined ? {} : { id: bosId, piece: tokenizer.piece(bosId) }),
    },
    eos: { id: tokenizer.eosId, piece: tokenizer.piece(tokenizer.eosId) },
    sites,
  };
}

export interface TokenDescription {
  /** The position `pos=` gives this token (BOS, when added, is 0). */
  position: number;
  id: number;
  piece: string;
  /** [start, end) in UTF-16 code units of the text, as `pos="…"` matches it. */
  span: [number, number];
  text: string;
}

export function describeTokens(tokenizer: Tokenizer, text: string): TokenDescription[] {
  const { ids, spans } = tokenizer.encodeWithSpans(text);
  return ids.map((id, position) => {
    const [start, end] = spans[position]!;
    return { position, id, piece: tokenizer.piece(id), span: [start, end], text: text.slice(start, end) };
  });
}
