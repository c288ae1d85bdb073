// Interventions resolved to absolute positions of one sequence, and the slot values each run feeds.
//
// Every intervention is a position-wise affine map x → a·x + b on the rows it selects. The table keeps one
// composed map per (site, prompt position), and one for every generated position; each run — the prefill
// over all prompt rows, or a decode step over one new row — asks it for exactly the rows it computes.

import { elementCount } from "../foundation/text.js";
import { floatTensor, type HostTensor } from "./onnx/session.js";
import { slotInputNames } from "./graph/transformer.js";
import { siteId, type ActivationSite } from "./sites.js";

export interface Affine {
  a: Float32Array;
  b: Float32Array;
}

export const identityAffine = (width: number): Affine => ({
  a: new Float32Array(width).fill(1),
  b: new Float32Array(width),
});

/** `second` after `first`: x → a2·(a1·x + b1) + b2. */
export function composeAffine(first: Affine, second: Affine): Affine {
  return {
    a: first.a.map((a1, i) => second.a[i]! * a1),
    b: first.b.map((b1, i) => second.a[i]! * b1 + second.b[i]!),
  };
}

interface SiteEntry {
  site: ActivationSite;
  width: number;
  atPosition: Map<number, Affine>;
  /** The map every generated position gets. */
  onGenerated?: Affine;
}

/** Where an intervention acts: prompt positions, and whether it also acts on every generated position. */
export interface TargetRows {
  positions: readonly number[];
  generated: boolean;
}

export class InterventionTable {
  private readonly entries = new Map<string, SiteEntry>();

  constructor(readonly promptLength: number) {}

  get sites(): ActivationSite[] {
    return [...this.entries.values()].map((e) => e.site);
  }

  get isEmpty(): boolean {
    return this.entries.size === 0;
  }

  /**
   * Composes an intervention after those already in the table. `affineFor(i)` gives the map for the i-th
   * prompt position in `rows.positions`; `affineFor("generated")` the map for generated positions.
   */
  add(site: ActivationSite, width: number, rows: TargetRows, affineFor: (which: number | "generated") => Affine): void {
    const id = siteId(site);
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { site, width, atPosition: new Map() };
      this.entries.set(id, entry);
    }
    rows.positions.forEach((position, i) => {
      const existing = entry.atPosition.get(position) ?? identityAffine(width);
      entry.atPosition.set(position, composeAffine(existing, affineFor(i)));
    });
    if (rows.generated)
      entry.onGenerated = composeAffine(entry.onGenerated ?? identityAffine(width), affineFor("generated"));
  }

  /**
   * A key that two tables share exactly when they intervene alike: the same maps at the same sites and
   * positions. Runs of one prompt under equal tables are one run, shared across the points of a sweep.
   */
  get contentKey(): string {
    const parts: string[] = [];
    for (const [id, entry] of [...this.entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const positions = [...entry.atPosition].sort(([a], [b]) => a - b);
      const maps = [...positions.map(([p, affine]) => `${p}:${affineHash(affine)}`)];
      if (entry.onGenerated) maps.push(`new:${affineHash(entry.onGenerated)}`);
      parts.push(`${id}{${maps.join(",")}}`);
    }
    return parts.join(";");
  }

  /** The first position anything intervenes at: the prompt's length where only generated positions are acted on. */
  get firstPosition(): number {
    let first = this.promptLength;
    for (const entry of this.entries.values()) {
      for (const position of entry.atPosition.keys()) first = Math.min(first, position);
    }
    return first;
  }

  /** The map at an absolute position, or undefined where nothing intervenes. */
  affineAt(site: ActivationSite, position: number): Affine | undefined {
    const entry = this.entries.get(siteId(site));
    if (!entry) return undefined;
    return position >= this.promptLength ? entry.onGenerated : entry.atPosition.get(position);
  }
}

/** FNV-1a over the bytes of a map, with its length: equal maps hash alike, unequal ones almost never do. */
function affineHash({ a, b }: Affine): string {
  let hash = 0x811c9dc5;
  for (const array of [a, b]) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  }
  return `${a.length}.${(hash >>> 0).toString(36)}`;
}

/**
 * Slot feeds for one run over a batch: `positions[row][step]` is the absolute position each computed row
 * holds (-1 for padding). Rows without an intervention get the identity a = 1, b = 0.
 */
export function slotFeeds(
  sites: readonly { site: ActivationSite; shape: readonly number[] }[],
  tables: readonly (InterventionTable | undefined)[],
  positions: readonly (readonly number[])[],
  identities: IdentitySlots,
): Record<string, HostTensor> {
  const batch = positions.length;
  const steps = positions[0]!.length;
  const feeds: Record<string, HostTensor> = {};
  for (const { site, shape } of sites) {
    const width = elementCount(shape);
    const dims = [batch, steps, ...shape];
    const names = slotInputNames(site);
    const touched = positions.flatMap((rowPositions, row) =>
      rowPositions.flatMap((position, step) => {
        const affine = position < 0 ? undefined : tables[row]?.affineAt(site, position);
        return affine ? [{ offset: (row * steps + step) * width, affine }] : [];
      }),
    );
    if (touched.length === 0) {
      Object.assign(feeds, identities.of(names, dims));
      continue;
    }
    const a = new Float32Array(batch * steps * width).fill(1);
    const b = new Float32Array(batch * steps * width);
    for (const { offset, affine } of touched) {
      a.set(affine.a, offset);
      b.set(affine.b, offset);
    }
    feeds[names.a] = floatTensor(a, dims);
    feeds[names.b] = floatTensor(b, dims);
  }
  return feeds;
}

/**
 * The identity feeds (a = 1, b = 0) of slots that no row touches in a run, made once per site and run shape:
 * a decode step mostly feeds these, and onnxruntime only reads them.
 */
export class IdentitySlots {
  private readonly made = new Map<string, Record<string, HostTensor<Float32Array>>>();

  of(names: { a: string; b: string }, dims: readonly number[]): Record<string, HostTensor<Float32Array>> {
    const key = `${names.a}:${dims.join("x")}`;
    let feeds = this.made.get(key);
    if (!feeds) {
      const size = elementCount(dims);
      feeds = {
        [names.a]: floatTensor(new Float32Array(size).fill(1), [...dims]),
        [names.b]: floatTensor(new Float32Array(size), [...dims]),
      };
      this.made.set(key, feeds);
    }
    return feeds;
  }
}

/**
 * A TypeScript function applied to a site's activation in one sequence, on every run (the prefill, then each
 * decode step). It sees only the rows that run computes, with their absolute positions, and returns new
 * values for them (or changes `activation` in place). Hooked sites split the graph, costing one more
 * onnxruntime run per step for each such site.
 */
export interface ActivationHook {
  site: ActivationSite;
  fn: (
    activation: Float32Array,
    rows: { positions: readonly number[]; shape: readonly number[] },
  ) => Float32Array | void;
}
