// Every example runs, and examples/README.md shows its real output: each line of an example's block there is a
// line of what `ptch run` prints now (lines cut short with "…" excepted).

import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "dist", "bin", "ptch.js");
const README = readFileSync(path.join(ROOT, "examples", "README.md"), "utf8");
const examples = readdirSync(path.join(ROOT, "examples")).filter((file) => file.endsWith(".ptch"));

/** The output block under the heading that names `file`, if the README shows one. */
function shownOutput(file: string): string | undefined {
  const section = README.split(/^## /m).find((s) => s.split("\n")[0]!.includes(`\`${file}\``));
  return section && /```\n([\s\S]*?)```/.exec(section)?.[1];
}

describe("examples", () => {
  it.each(examples)("%s runs, and prints what examples/README.md shows", async (file) => {
    const { stdout } = await promisify(execFile)("node", [BIN, "run", path.join("examples", file), "--quiet"], {
      cwd: ROOT,
    });
    const shown = shownOutput(file);
    if (shown === undefined) return;
    const printed = new Set(stdout.split("\n"));
    for (const line of shown.split("\n").filter((l) => l !== "" && !l.includes("…"))) {
      expect(printed, `examples/README.md shows a line that ${file} no longer prints`).toContain(line);
    }
  });

  it("are all in examples/README.md, with the gallery's", () => {
    const gallery = [
      "name-patching.ptch",
      "patchscope-identity.ptch",
      "patchscope-description.ptch",
      "logit-lens.ptch",
      "steering.ptch",
      "head-ablation.ptch",
      "cross-layer.ptch",
    ];
    for (const file of gallery) expect(shownOutput(file), file).toBeDefined();
  });
});
