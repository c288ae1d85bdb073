// The ptch command line end to end, as a user runs it: the compiled bin, a real process, real files.

import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "dist", "bin", "ptch.js");
const PUBLISHED_SAMPLE =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function ptch(args: string[], cwd = ROOT): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ptch-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const full = path.join(dir, name);
  await writeFile(full, content);
  return full;
}

/** Bad input ends with a message on stderr, exit code 1, and no stack trace. */
function expectCleanFailure(outcome: Outcome, ...fragments: string[]): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe("");
  for (const f of fragments) expect(outcome.stderr).toContain(f);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(outcome.stderr).not.toContain("internal error");
}

describe("ptch run", () => {
  it("prints the greedy continuation of examples/hello.ptch", async () => {
    const { code, stdout } = await ptch(["run", "examples/hello.ptch"]);
    expect(code).toBe(0);
    expect(stdout.startsWith(PUBLISHED_SAMPLE)).toBe(true);
  });

  it("prints one JSON document with --json, from any working directory", async () => {
    const { code, stdout } = await ptch(["run", path.join(ROOT, "examples", "hello.ptch"), "--json"], os.tmpdir());
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(["planVersion", "runs"]);
    expect(result.planVersion).toBe(1);
    expect(result.runs).toHaveLength(1);
    const [run] = result.runs;
    expect(Object.keys(run)).toEqual(["prompt", "bindings", "promptTokens", "tokens", "text"]);
    expect(run.prompt).toBe("story");
    expect(run.bindings).toEqual({});
    expect(run.promptTokens).toEqual([1]);
    expect(run.tokens).toHaveLength(60);
    expect(run.tokens.slice(0, 15)).toEqual([403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426]);
    expect(run.text.startsWith(PUBLISHED_SAMPLE)).toBe(true);
  });

  it("loads a model given by a path relative to the .ptch file", async () => {
    const ptchFile = await file("relative.ptch", `model "${path.relative(dir, path.join(ROOT, "models/stories260K/stories260K.gguf"))}"\nprompt p = "Once upon a time"\ngenerate 5 from p\n`);
    const { code, stdout } = await ptch(["run", ptchFile, "--json"], os.tmpdir());
    expect(code).toBe(0);
    expect(JSON.parse(stdout).runs[0].tokens).toHaveLength(5);
  });
});

describe("bad input", () => {
  it("a syntax error: file:line:col, the line and a caret", async () => {
    const f = await file("syntax.ptch", 'model "stories260K"\nprompt story = "x"\ngenerate 60 form story\n');
    expectCleanFailure(await ptch(["run", f]), `${f}:3:13: error PTCH`, "generate 60 form story", "^");
  });

  it("an undefined prompt name, with a suggestion", async () => {
    const f = await file("undefined.ptch", 'model "stories260K"\nprompt story = "x"\ngenerate 60 from stroy\n');
    expectCleanFailure(await ptch(["run", f]), `${f}:3:18: error PTCH2001`, "stroy", "story");
  });

  it("a missing model file", async () => {
    const f = await file("missing-model.ptch", 'model "./nowhere.gguf"\nprompt p = "x"\ngenerate 1 from p\n');
    expectCleanFailure(await ptch(["run", f]), path.join(dir, "nowhere.gguf"), "no such file");
  });

  it("a file that is not GGUF", async () => {
    await file("not-a-model.gguf", "PK\u0003\u0004 this is a zip file, not a model");
    const f = await file("bad-model.ptch", 'model "./not-a-model.gguf"\nprompt p = "x"\ngenerate 1 from p\n');
    expectCleanFailure(await ptch(["run", f]), path.join(dir, "not-a-model.gguf"), "not a GGUF file");
  });

  it("an unknown bundled model", async () => {
    const f = await file("unknown-model.ptch", 'model "stories9000"\nprompt p = "x"\ngenerate 1 from p\n');
    expectCleanFailure(await ptch(["run", f]), "unknown model 'stories9000'", "stories260K");
  });

  it("a missing .ptch file", async () => {
    expectCleanFailure(await ptch(["run", path.join(dir, "absent.ptch")]), "absent.ptch", "no such file");
  });

  it("an unknown command or option", async () => {
    expectCleanFailure(await ptch(["frobnicate"]), "unknown command 'frobnicate'", "usage:");
    expectCleanFailure(await ptch(["run", "examples/hello.ptch", "--jsn"]), "unknown option '--jsn'");
  });
});
