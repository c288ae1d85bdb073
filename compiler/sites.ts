// The catalogue of activation sites and selectors, and how the selectors written on a site (and, in a patch, on
// each side) combine. The checks and the planner both read it from here, so that they cannot disagree.

import type { SelectionLocations, SiteName } from "./plan-ir.js";
import type { Selector } from "../grammar/ast.js";

export interface SiteSpec {
  /** The canonical (TransformerLens) name the plan uses. */
  site: SiteName;
  /** Added to the layer as written: `resid_post` of block l is the residual stream after l + 1 blocks. */
  layerOffset: number;
  /** Whether `head=` selects one head (for k and v, one key/value head). */
  hasHeads: boolean;
}

const blockSite = (site: SiteName): SiteSpec => ({ site, layerOffset: 0, hasHeads: false });
const headSite = (site: SiteName): SiteSpec => ({ site, layerOffset: 0, hasHeads: true });

/** Every site name a program may write, aliases included. A Map, so that no inherited key ("toString") is a site. */
export const SITES: ReadonlyMap<string, SiteSpec> = new Map([
  // resid[L=l] is the residual stream after l blocks: l = 0 is the embeddings, l = nLayers the final residual.
  ["resid", blockSite("resid")],
  ["resid_pre", blockSite("resid")],
  ["resid_post", { site: "resid", layerOffset: 1, hasHeads: false }],
  ["attn_out", blockSite("attn_out")],
  ["resid_mid", blockSite("resid_mid")],
  ["mlp_out", blockSite("mlp_out")],
  ["mlp_hidden", blockSite("mlp_hidden")],
  // TransformerLens's name for the activation entering the down projection.
  ["mlp_post", blockSite("mlp_hidden")],
  ["z", headSite("z")],
  ["q", headSite("q")],
  ["k", headSite("k")],
  ["v", headSite("v")],
]);

/** The part of a selection that a selector sets. */
export type SelectionKey = Exclude<keyof SelectionLocations, "site">;

/** Selector names, with the part of a selection each sets. */
export const SELECTOR_KEYS: ReadonlyMap<string, SelectionKey> = new Map([
  ["L", "layer"],
  ["head", "head"],
  ["pos", "positions"],
]);

/**
 * The selector that sets each part of a selection. A later list overrides an earlier one: a patch side's selectors
 * override the site's. Selectors with unknown names set nothing.
 */
export function effectiveSelectors(...lists: readonly (readonly Selector[])[]): Map<SelectionKey, Selector> {
  const effective = new Map<SelectionKey, Selector>();
  for (const selector of lists.flat()) {
    const key = SELECTOR_KEYS.get(selector.key.name);
    if (key !== undefined) effective.set(key, selector);
  }
  return effective;
}
