// ptch in someone else's project: the packed package installed into a scratch project, where a CommonJS folder
// and an ES-module folder each compile an experiment with the installed `ptch` and run the module through tsx,
// as a user's code would. Both give the tokens `ptch run` gives, and both type-check under tsc's nodenext rules.

import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./support/cli.js";
import { installPackedPtch } from "./support/installed-package.js";

const run = promisify(execFile);

let dir: string;
let installed: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ptch-consumer-"));
  installed = await installPackedPtch(dir);
  // A model beside the projects, named by a relative path: the module must find it from its own folder.
  await copyFile(path.join(ROOT, "models", "stories260K", "stories260K.gguf"), path.join(dir, "story.gguf"));
}, 240_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const EXPERIMENT = [
  'model "../story.gguf"',
  'prompt target = "Once upon a time, there was a little boy named Tom."',
  "zero resid[L=2, pos=-2] in target",
  "generate 8 from target",
  "",
].join("\n");

const ptch = (args: string[], cwd: string) =>
  run(process.execPath, [path.join(installed, "dist", "bin", "ptch.js"), ...args], { cwd });

/** A folder of the scratch project with its own package.json `type`, holding a compiled experiment and a caller. */
async function consumer(type: "commonjs" | "module", caller: string): Promise<string> {
  const folder = path.join(dir, type);
  await mkdir(path.join(folder, "generated"), { recursive: true });
  await writeFile(path.join(folder, "package.json"), JSON.stringify({ type }));
  await writeFile(path.join(folder, "experiment.ptch"), EXPERIMENT);
  await ptch(["compile", "experiment.ptch", "-o", "generated/experiment.ts"], folder);
  await writeFile(path.join(folder, "main.ts"), caller);
  return folder;
}

const CALLER_BODY = `
run().then((result) => console.log(JSON.stringify(result.runs.map((r) => r.tokens))));
`;

async function tokensOf(folder: string): Promise<number[][]> {
  const tsx = path.join(dir, "node_modules", "tsx", "dist", "cli.mjs");
  const { stdout } = await run(process.execPath, [tsx, "main.ts"], { cwd: folder });
  return JSON.parse(stdout) as number[][];
}

async function expectedTokens(folder: string): Promise<number[][]> {
  const { stdout } = await ptch(["run", "experiment.ptch", "--json"], folder);
  return (JSON.parse(stdout) as { runs: { tokens: number[] }[] }).runs.map((r) => r.tokens);
}

describe("the packed package in another project", () => {
  it("runs a compiled module from a CommonJS project (the npm default), through tsx", async () => {
    const folder = await consumer("commonjs", `import { run } from "./generated/experiment";\n${CALLER_BODY}`);
    expect(await tokensOf(folder)).toEqual(await expectedTokens(folder));
  }, 120_000);

  it("runs a compiled module from an ES-module project, through tsx", async () => {
    const folder = await consumer("module", `import { run } from "./generated/experiment.js";\n${CALLER_BODY}`);
    expect(await tokensOf(folder)).toEqual(await expectedTokens(folder));
  }, 120_000);

  it("type-checks both kinds of module under tsc --strict with nodenext resolution", async () => {
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "nodenext",
          target: "es2022",
          strict: true,
          noEmit: true,
          types: ["node"],
          typeRoots: [path.join(ROOT, "node_modules", "@types")],
        },
        include: ["commonjs/**/*.ts", "module/**/*.ts"],
      }),
    );
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    await expect(run(process.execPath, [tsc, "-p", dir], { cwd: dir })).resolves.toBeDefined();
  }, 120_000);
});
