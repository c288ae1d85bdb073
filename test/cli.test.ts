// The ptch command line end to end, as a user runs it: the compiled bin, a real process, real files.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, expectCleanFailure, ptch, ROOT } from "./support/cli.js";

const PUBLISHED_SAMPLE =
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.";

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

describe("ptch run", () => {
  it("prints the greedy continuation of examples/hello.ptch", async () => {
    const { code, stdout } = await ptch(["run", "examples/hello.ptch"]);
    expect(code).toBe(0);
    const [heading, ...text] = stdout.split("\n");
    expect(heading).toBe("── story · baseline · greedy, 60 tokens, stopped at the token limit");
    expect(text.join("\n").startsWith(PUBLISHED_SAMPLE)).toBe(true);
  });

  it("prints one JSON document with --json, from any working directory", async () => {
    const { code, stdout } = await ptch(["run", path.join(ROOT, "examples", "hello.ptch"), "--json"], os.tmpdir());
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(["planVersion", "runs"]);
    expect(result.planVersion).toBe(2);
    expect(result.runs).toHaveLength(1);
    const [run] = result.runs;
    expect(Object.keys(run)).toEqual([
      "prompt",
      "bindings",
      "promptTokens",
      "promptPieces",
      "intervened",
      "tokens",
      "text",
      "stopReason",
      "sampling",
      "interventions",
    ]);
    expect(run.prompt).toBe("story");
    expect(run.bindings).toEqual({});
    expect(run.promptTokens).toEqual([1]);
    expect(run.tokens).toHaveLength(60);
    expect(run.tokens.slice(0, 15)).toEqual([
      403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426,
    ]);
    expect(run.text.startsWith(PUBLISHED_SAMPLE)).toBe(true);
  });

  it("loads a model given by a path relative to the .ptch file", async () => {
    const ptchFile = await file(
      "relative.ptch",
      `model "${path.relative(dir, path.join(ROOT, "models/stories260K/stories260K.gguf"))}"\nprompt p = "Once upon a time"\ngenerate 5 from p\n`,
    );
    const { code, stdout } = await ptch(["run", ptchFile, "--json"], os.tmpdir());
    expect(code).toBe(0);
    expect(JSON.parse(stdout).runs[0].tokens).toHaveLength(5);
  });
});

describe("ptch model and ptch tokenize", () => {
  it("ptch model prints what was loaded and every site with its shape, and --json the same as data", async () => {
    const text = await ptch(["model", "stories260K"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^architecture\s+llama$/m);
    expect(text.stdout).toMatch(/^heads\s+8 of width 8, 4 key\/value heads$/m);
    expect(text.stdout).toMatch(/^\s+mlp_post\s+L=0\.\.4\s+\[172\]\s+= mlp_hidden$/m);
    const json = JSON.parse((await ptch(["model", "stories260K", "--json"])).stdout);
    expect(json).toMatchObject({
      format: "gguf",
      architecture: "llama",
      layers: 5,
      width: 64,
      kvHeads: 4,
      parameters: 292800,
    });
    expect(json.bos).toEqual({ added: true, id: 1, piece: "<s>" });
  });

  it("ptch tokenize shows each token's position as pos= counts it, its id, piece and span", async () => {
    const { code, stdout } = await ptch(["tokenize", "--model", "stories260K", "Once upon a time, Lily", "--json"]);
    expect(code).toBe(0);
    const tokens = JSON.parse(stdout).tokens as {
      position: number;
      id: number;
      piece: string;
      span: number[];
      text: string;
    }[];
    expect(tokens[0]).toMatchObject({ position: 0, id: 1, piece: "<s>", span: [0, 0] });
    expect(tokens.at(-1)).toMatchObject({ position: 6, piece: "▁Lily", span: [17, 22], text: " Lily" });
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
    expectCleanFailure(
      await ptch(["run", f]),
      "cannot find model 'stories9000'",
      "not a bundled model (stories260K)",
      "ptch never downloads",
    );
  });

  it("a missing .ptch file", async () => {
    expectCleanFailure(await ptch(["run", path.join(dir, "absent.ptch")]), "absent.ptch", "no such file");
  });

  it("--version names the package version", async () => {
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));
    expect(await ptch(["--version"])).toEqual({ code: 0, stdout: `ptch ${version}\n`, stderr: "" });
  });

  it("an unknown command or option", async () => {
    expectCleanFailure(await ptch(["frobnicate"]), "unknown command 'frobnicate'", "usage:");
    expectCleanFailure(await ptch(["run", "examples/hello.ptch", "--jsn"]), "unknown option '--jsn'");
  });
});

const PATCH = `model "stories260K"
prompt source = "Once upon a time, there was a little girl named Lily."
prompt target = "Once upon a time, there was a little boy named Tom."
`;

describe("ptch run with parameters, sweeps and captures", () => {
  it("runs once per sweep value, with the bindings in --json", async () => {
    const f = await file(
      "sweep.ptch",
      `${PATCH}param n = 4\nsweep l in 0..2\npatch resid[L=l, pos=-2] from source into target\ngenerate n from target\n`,
    );
    const { code, stdout } = await ptch(["run", f, "--json"]);
    expect(code).toBe(0);
    const { runs } = JSON.parse(stdout);
    expect(runs.map((r: { bindings: object }) => r.bindings)).toEqual([
      { n: 4, l: 0 },
      { n: 4, l: 1 },
      { n: 4, l: 2 },
    ]);
    expect(runs.every((r: { tokens: number[] }) => r.tokens.length === 4)).toBe(true);
  });

  it("--set changes a parameter, or fixes a sweep to one value", async () => {
    const f = await file(
      "set.ptch",
      `${PATCH}param n = 4\nsweep l in 0..2\npatch resid[L=l, pos=-2] from source into target\ngenerate n from target\n`,
    );
    const { code, stdout } = await ptch(["run", f, "--json", "--set", "n=2", "--set", "l=1"]);
    expect(code).toBe(0);
    const { runs } = JSON.parse(stdout);
    expect(runs).toHaveLength(1);
    expect(runs[0].bindings).toEqual({ n: 2, l: 1 });
    expect(runs[0].tokens).toHaveLength(2);
  });

  it("rejects a --set of an unknown name or a value of the wrong type", async () => {
    const f = await file("badset.ptch", `${PATCH}param n = 4\ngenerate n from target\n`);
    expectCleanFailure(await ptch(["run", f, "--set", "m=1"]), "no parameter named 'm'", "n");
    expectCleanFailure(await ptch(["run", f, "--set", "n=2.5"]), "'n'", "int");
    expectCleanFailure(await ptch(["run", f, "--set", "n"]), "--set needs NAME=VALUE");
  });

  it("prints exported captures under captures", async () => {
    const f = await file(
      "capture.ptch",
      `${PATCH}export let tom = resid[L=2, pos=-2..-1] of target\nadd tom to resid[L=2, pos=-2..-1] in target\ngenerate 3 from target\n`,
    );
    const { code, stdout } = await ptch(["run", f, "--json"]);
    expect(code).toBe(0);
    const { captures } = JSON.parse(stdout);
    expect(captures).toHaveLength(1);
    expect(captures[0]).toMatchObject({
      name: "tom",
      bindings: {},
      prompt: "target",
      site: "resid",
      layer: 2,
      positions: [15, 16],
    });
    expect(captures[0].values).toHaveLength(2);
    expect(captures[0].values[0]).toHaveLength(64);
  });

  it("rejects a plan that does not fit the model before anything runs, at the selector", async () => {
    const f = await file(
      "nofit.ptch",
      `${PATCH}patch resid[L=1, pos=-2] from source into target\ngenerate 3 from target\nzero z[L=7, head=1] in target\n`,
    );
    expectCleanFailure(await ptch(["run", f]), `${f}:6:8: error PTCH3101`, "layer 7");
  });
});

describe("ptch run output", () => {
  it("prints the warnings of checking against the model, then runs", async () => {
    const f = await file(
      "warn.ptch",
      `${PATCH}patch resid[L=1, pos=-2] from source into target\nzero resid[L=1, pos=-2] in target\ngenerate 2 from target\n`,
    );
    const { code, stdout, stderr } = await ptch(["run", f]);
    expect(code).toBe(0);
    expect(stderr).toContain(`${f}:5:17: warning PTCH3115`);
    expect(stdout.length).toBeGreaterThan(0);
  });

  it("summarises exported captures when there is nothing to generate", async () => {
    const f = await file(
      "only-capture.ptch",
      `${PATCH}export let lily = resid[L=1, pos=-2..-1] of source\npatch resid[L=0, pos=-1] from source into target\n`,
    );
    const { code, stdout } = await ptch(["run", f]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      "lily: resid[L=1] of source: 2 vector(s) of 64 at positions 14, 15 (ptch run --json prints the values)\n",
    );
  });

  it("rejects numbers a 32-bit activation cannot hold, before running", async () => {
    const f = await file("huge.ptch", `${PATCH}add 1e39 to resid[L=1, pos=0] in target\ngenerate 2 from target\n`);
    expectCleanFailure(await ptch(["run", f]), `${f}:4:5: error PTCH3006`);
  });
});

describe("ptch lint", () => {
  it("is silent with exit 0 on the examples", async () => {
    const { code, stdout, stderr } = await ptch([
      "lint",
      "examples/hello.ptch",
      "examples/patch.ptch",
      "examples/steer.ptch",
    ]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("reports syntax, name and model errors of several files in one pass, exit 1", async () => {
    const a = await file(
      "lint-a.ptch",
      `${PATCH}patch resid[L=9, pos=-2] from source into target\ngenerate 3 from target\n`,
    );
    const b = await file("lint-b.ptch", `${PATCH}generate 3 form target\nprompt = 1\n`);
    const { code, stdout } = await ptch(["lint", a, b]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${a}:4:13: error PTCH3101`);
    expect(stdout).toContain(`${b}:4:12: error PTCH1001`);
    expect(stdout).toContain(`${b}:5:8: error PTCH1001`);
  });

  it("speaks of a site as written: resid_post's layers, not resid's", async () => {
    const a = await file("lint-alias.ptch", `${PATCH}zero resid_post[L=5, pos=-1] in target\ngenerate 2 from target\n`);
    const { code, stdout } = await ptch(["lint", a]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `${a}:4:17: error PTCH3101: layer 5 is out of range for resid_post: this model has layers 0..4`,
    );
  });

  it("prints JSON diagnostics with --format json", async () => {
    const a = await file(
      "lint-json.ptch",
      `${PATCH}prompt unused = "x"\npatch resid[L=1, pos=-2] from source into target\ngenerate 3 from target\n`,
    );
    const { code, stdout } = await ptch(["lint", a, "--format", "json"]);
    expect(code).toBe(0);
    const { diagnostics } = JSON.parse(stdout);
    expect(diagnostics).toEqual([expect.objectContaining({ file: a, code: "PTCH2003", severity: "warning" })]);
    expect(diagnostics[0].range.start).toEqual({ offset: expect.any(Number), line: 4, column: 8 });
  });

  it("reports a model that cannot be opened at the model statement", async () => {
    const a = await file("lint-nomodel.ptch", `model "./absent.gguf"\nprompt p = "x"\ngenerate 3 from p\n`);
    const { code, stdout } = await ptch(["lint", a]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${a}:1:1: error PTCH3113: cannot open the model`);
    expect(stdout).toContain("absent.gguf");
  });
});

describe("ptch plan, compile and fmt", () => {
  it("plan prints the plan IR, stable, without source locations", async () => {
    const first = await ptch(["plan", "examples/patch.ptch"]);
    const second = await ptch(["plan", "examples/patch.ptch"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    const plan = JSON.parse(first.stdout);
    expect(Object.keys(plan)).toEqual(["planVersion", "model", "params", "sweeps", "prompts", "steps"]);
    expect(first.stdout).not.toContain('"at"');
  });

  it("compile writes the module; on an error it writes nothing", async () => {
    const out = path.join(dir, "patch.ts");
    expect((await ptch(["compile", "examples/patch.ptch", "-o", out])).code).toBe(0);
    expect(await readFile(out, "utf8")).toContain("export async function run(");
    const broken = await file("broken.ptch", 'model "stories260K"\ngenerate 3 from nowhere\n');
    const brokenOut = path.join(dir, "broken.ts");
    expectCleanFailure(await ptch(["compile", broken, "-o", brokenOut]), "PTCH2001");
    expect(existsSync(brokenOut)).toBe(false);
    expectCleanFailure(await ptch(["compile", "examples/patch.ptch"]), "compile needs -o");
  });

  it("fmt rewrites files in the canonical layout; --check lists what would change", async () => {
    const messy = await file(
      "messy.ptch",
      `model   "stories260K";prompt p="x"  # the prompt\n\n\ngenerate 3   from p\n`,
    );
    const check = await ptch(["fmt", "--check", messy]);
    expect(check).toEqual({ code: 1, stdout: `${messy}\n`, stderr: "" });
    expect((await ptch(["fmt", messy])).code).toBe(0);
    expect(await readFile(messy, "utf8")).toBe(
      `model "stories260K"\nprompt p = "x"  # the prompt\n\ngenerate 3 from p\n`,
    );
    expect(await ptch(["fmt", "--check", messy])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("fmt leaves a file with syntax errors untouched", async () => {
    const text = 'model "stories260K"\ngenerate 3 form p\n';
    const broken = await file("fmt-broken.ptch", text);
    expectCleanFailure(await ptch(["fmt", broken]), `${broken}:2:12: error PTCH1001`);
    expect(await readFile(broken, "utf8")).toBe(text);
  });
});

describe("files on disk", () => {
  it("compile -o into a missing folder or onto a folder fails cleanly and leaves nothing behind", async () => {
    expectCleanFailure(
      await ptch(["compile", "examples/patch.ptch", "-o", path.join(dir, "no", "such", "out.ts")]),
      "cannot write",
      "no such file or directory",
    );
    const folder = path.join(dir, "a-folder");
    await mkdir(folder);
    const before = await readdir(dir);
    expectCleanFailure(await ptch(["compile", "examples/patch.ptch", "-o", folder]), "is not a regular file");
    expect(await readdir(dir)).toEqual(before);
  });

  it("fmt keeps a file's mode and writes through a symbolic link", async () => {
    const target = await file("linked.ptch", 'model "stories260K";prompt p = "x";generate 1 from p\n');
    // Group-writable: a mode the usual umask (022) would strip from a newly created file.
    await chmod(target, 0o664);
    const link = path.join(dir, "link.ptch");
    await symlink(target, link);
    expect((await ptch(["fmt", link])).code).toBe(0);
    expect(await readFile(target, "utf8")).toBe('model "stories260K"\nprompt p = "x"\ngenerate 1 from p\n');
    expect((await stat(target)).mode & 0o777).toBe(0o664);
    expect((await import("node:fs/promises").then((fs) => fs.lstat(link))).isSymbolicLink()).toBe(true);
  });

  it("compile -o writes through a symbolic link whose target does not exist yet", async () => {
    const target = path.join(dir, "not-yet.ts");
    const link = path.join(dir, "out-link.ts");
    await symlink(target, link);
    expect((await ptch(["compile", "examples/patch.ptch", "-o", link])).code).toBe(0);
    expect(await readFile(target, "utf8")).toContain("export const plan");
    expect((await import("node:fs/promises").then((fs) => fs.lstat(link))).isSymbolicLink()).toBe(true);
  });

  it("a reader that closes the pipe early is not an error", async () => {
    // Several writes, so that the ones after `head` has gone meet a closed pipe.
    const { stdout } = await promisify(execFile)(
      "bash",
      ["-o", "pipefail", "-c", `node ${BIN} run examples/sweep.ptch | head -1`],
      { cwd: ROOT },
    );
    expect(stdout).toBe(
      "── target · patch resid[L=0, pos=-1] from source · tokens = 20, l = 0 · greedy, 20 tokens, stopped at the token limit\n",
    );
  });

  it("--model takes a path relative to the working directory; a broken model line is pointed at", async () => {
    const sub = path.join(dir, "sub");
    await mkdir(sub, { recursive: true });
    const f = path.join(sub, "m.ptch");
    await writeFile(f, 'model "./nowhere.gguf"\nprompt p = "Once"\ngenerate 2 from p\n');
    const failed = await ptch(["run", f]);
    expectCleanFailure(failed, `${f}:1:1: error PTCH3113: cannot open the model`, "nowhere.gguf");
    const ok = await ptch(
      [
        "run",
        "sub/m.ptch",
        "--model",
        path.relative(dir, path.join(ROOT, "models/stories260K/stories260K.gguf")),
        "--json",
      ],
      dir,
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).runs[0].tokens).toHaveLength(2);
  });
});

describe("ptch run: measures, tokens and reports", () => {
  it("prints measures as a table and a grid over the sweep, without colour off a terminal", async () => {
    const { code, stdout } = await ptch(["run", "examples/cross-layer.ptch"]);
    expect(code).toBe(0);
    expect(stdout).toContain("measure   prompt  metric");
    expect(stdout).toContain("restored: s down, t across");
    expect(stdout).not.toContain("\x1b[");
  });

  it("--tokens shows each prompt's pieces with the patched position marked", async () => {
    const { stdout } = await ptch(["run", "examples/patch.ptch", "--tokens"]);
    expect(stdout).toContain('  tokens: 0 "<s>"  1 "▁Once"');
    expect(stdout).toContain('*15 "om"  16 "."');
  });

  it("--report writes a self-contained page with the heatmap of --report-measure", async () => {
    const report = path.join(dir, "report.html");
    const { code, stderr } = await ptch(["run", "examples/cross-layer.ptch", "--report", report, "--quiet"]);
    expect([code, stderr]).toEqual([0, ""]);
    const html = await readFile(report, "utf8");
    expect(html.match(/<rect class="cell"/g)).toHaveLength(36);
    expect(html).not.toMatch(/<script|\bsrc=/);
  });

  it("an unknown --report-measure is an error naming the measures, before anything runs", async () => {
    const report = path.join(dir, "never.html");
    const outcome = await ptch(["run", "examples/head-ablation.ptch", "--report", report, "--report-measure", "zero"]);
    expectCleanFailure(outcome, "no measure named 'zero'", "'clean', 'zero_ablated' and 'mean_ablated'");
    await expect(readFile(report)).rejects.toThrow();
  });
});
