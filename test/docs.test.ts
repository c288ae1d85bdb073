// The language reference (docs/language.md) against the code: every diagnostic in the catalogue is documented,
// each documented example reports its code, and every complete program in the reference lints without errors.

import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIAGNOSTICS } from "../foundation/diagnostics.js";
import { lint } from "../runtime/lint.js";
import { BYTE_LEVEL_EOS_ID, writeHfDir } from "./support/hf-dir-writer.js";

const DOC_PATH = path.resolve(import.meta.dirname, "..", "docs", "language.md");
const doc = readFileSync(DOC_PATH, "utf8");

interface Block {
  /** The first line of the block's text in the document, 1-based, for messages. */
  line: number;
  text: string;
}

/** Every ```ptch fenced block, in document order. */
function ptchBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const match of markdown.matchAll(/^```ptch[ \t]*\r?\n([\s\S]*?)^```[ \t]*$/gm)) {
    const line = markdown.slice(0, match.index).split("\n").length + 1;
    blocks.push({ line, text: match[1]! });
  }
  return blocks;
}

/** Each `### PTCH####` heading: its code, and the first ptch block in its section (before the next heading). */
function diagnosticSections(markdown: string): { code: string; heading: string; example: Block | undefined }[] {
  const headings = [...markdown.matchAll(/^### (PTCH\d{4})\b.*$/gm)];
  return headings.map((heading) => {
    const start = heading.index + heading[0].length;
    const next = markdown.slice(start).search(/^#{1,6} /m);
    const end = next === -1 ? markdown.length : start + next;
    const [example] = ptchBlocks(markdown.slice(0, end)).filter((block) => {
      const offset = lineOffset(markdown, block.line);
      return offset >= start && offset < end;
    });
    return { code: heading[1]!, heading: heading[0], example };
  });
}

function lineOffset(text: string, line: number): number {
  let offset = 0;
  for (let i = 1; i < line; i++) offset = text.indexOf("\n", offset) + 1;
  return offset;
}

const sections = diagnosticSections(doc);
const catalogueCodes: string[] = Object.values(DIAGNOSTICS).map((spec) => spec.code);
const exampleLines = new Set(sections.flatMap(({ example }) => (example ? [example.line] : [])));

/**
 * The other blocks that are complete programs: a `model` line and a `generate` statement. Blocks that show
 * alternatives or a statement on its own (two `model` lines, a `patch` without prompts) are fragments.
 */
const completePrograms = ptchBlocks(doc).filter(
  (block) => !exampleLines.has(block.line) && /^\s*model\b/m.test(block.text) && /(^|;)\s*generate\b/m.test(block.text),
);

/**
 * An example as the document describes it rather than as printed: PTCH3120 needs 40 generations per point, which
 * the document shows three of.
 */
function atScale(code: string, example: string): string {
  if (code === "PTCH3120") return example.replace(/(generate 5 from story\n)+/, "generate 5 from story\n".repeat(40));
  return example;
}

// Relative model paths resolve against a fresh, empty folder, so that `model "./missing.gguf"` is missing indeed.
// PTCH3116's example names "EleutherAI/pythia-70m", found in a hub cache made for the test: lint reads only
// config.json, the tokenizer and the safetensors header, so a Pythia-shaped directory without weights serves.
let baseDir: string;
let hubCache: string;
const savedHubCache = process.env["HF_HUB_CACHE"];
beforeAll(async () => {
  baseDir = await mkdtemp(path.join(os.tmpdir(), "ptch-docs-"));
  hubCache = await mkdtemp(path.join(os.tmpdir(), "ptch-docs-hub-"));
  const snapshot = path.join(hubCache, "models--EleutherAI--pythia-70m", "snapshots", "0123abcd");
  await writeHfDir(snapshot, {
    config: {
      architectures: ["GPTNeoXForCausalLM"],
      hidden_size: 512,
      num_attention_heads: 8,
      num_hidden_layers: 6,
      intermediate_size: 2048,
      vocab_size: 50304,
      max_position_embeddings: 2048,
      rotary_pct: 0.25,
      use_parallel_residual: true,
      hidden_act: "gelu",
      eos_token_id: BYTE_LEVEL_EOS_ID,
    },
    tensors: [],
  });
  process.env["HF_HUB_CACHE"] = hubCache;
});
afterAll(async () => {
  if (savedHubCache === undefined) delete process.env["HF_HUB_CACHE"];
  else process.env["HF_HUB_CACHE"] = savedHubCache;
  await rm(baseDir, { recursive: true, force: true });
  await rm(hubCache, { recursive: true, force: true });
});

describe("docs/language.md: Diagnostics", () => {
  it("has one heading per code in the catalogue, in code order, and none for codes not in it", () => {
    const documented = sections.map(({ code }) => code);
    expect(documented).toEqual([...catalogueCodes].sort());
  });

  it("marks exactly the warnings as warnings", () => {
    const warnings = new Set(
      Object.values(DIAGNOSTICS)
        .filter((spec) => spec.severity === "warning")
        .map((spec) => spec.code as string),
    );
    for (const { code, heading } of sections) {
      expect(heading.includes("(warning)"), heading).toBe(warnings.has(code));
    }
  });

  it.each(sections.map((section) => [section.code, section] as const))(
    "the example for %s reports it",
    async (code, { example }) => {
      expect(example, `no ptch example under the heading for ${code}`).toBeDefined();
      const diagnostics = await lint(atScale(code, example!.text), { baseDir });
      const codes = diagnostics.map((diagnostic) => diagnostic.code);
      expect(codes, `the example at docs/language.md:${example!.line}`).toContain(code);
    },
  );
});

describe("docs/language.md: complete programs", () => {
  it("has some", () => {
    expect(completePrograms.length).toBeGreaterThan(0);
  });

  it.each(completePrograms.map((block) => [block.line, block] as const))(
    "the program at line %i lints without errors",
    async (_, block) => {
      const diagnostics = await lint(block.text, { baseDir });
      const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");
      expect(errors.map(({ code, message }) => `${code}: ${message}`)).toEqual([]);
    },
  );
});
