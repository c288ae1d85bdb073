// Activation sites: the named places in a transformer's forward pass where a plan may intervene or capture.
// Names follow TransformerLens where one exists; `resid` at layer L is the residual stream after L blocks
// (L = 0 the embeddings, L = nLayers the input of the final norm), so resid_pre/resid_post are aliases of it.

import type { SiteName } from "../compiler/plan-ir.js";

export interface ActivationSite {
  site: SiteName;
  layer: number;
}

export const siteId = (s: ActivationSite) => `${s.site}.${s.layer}`;
