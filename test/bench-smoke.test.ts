// The benchmark's quick mode as a smoke test: the bundled model against llama.cpp through node-llama-cpp. No
// timing is asserted (speed targets live in `npm run bench`); the engines must agree on the greedy tokens.

import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

describe("npm run bench, quick mode", () => {
  it("runs on the bundled model, and ptch and llama.cpp generate the same greedy tokens", async () => {
    const { stdout } = await promisify(execFile)("node", [path.join(ROOT, "dist", "bench", "peers.js"), "--quick"], {
      cwd: ROOT,
    });
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      results: { name: string; sameTokens: boolean }[];
    };
    expect(summary.results.map((r) => [r.name, r.sameTokens])).toEqual([["bundled", true]]);
  });
});
