// Hostile and mistaken input, as issue 11 lists it: each class of bad input ends in one clear message (exit code 1,
// no stack trace), in bounded time and memory, and no write lands where it should not.

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCleanFailure, ptch as runPtch, ROOT } from "./support/cli.js";
import { Model } from "../runtime/model.js";
import { ModelFormatError } from "../runtime/errors.js";
import { loadGguf } from "../runtime/formats/gguf.js";
import { gv } from "./support/gguf-writer.js";
import { writeRandomLlama, type RandomLlamaOptions } from "./support/random-llama.js";
import { editDistance, closestName } from "../compiler/edit-distance.js";
import { compile, formatDiagnostics } from "../compiler/index.js";
import { whyNotText } from "../bin/source-file.js";
import { readJsonFile } from "../runtime/formats/hf-dir.js";

/** Every process here must end within a minute, or it counts as hanging. */
const ptch = (args: string[], cwd = ROOT) => runPtch(args, cwd, 60_000);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ptch-reliability-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const file = async (name: string, content: string | Uint8Array) => {
  const full = path.join(dir, name);
  await writeFile(full, content);
  return full;
};

async function loadError(name: string, options: RandomLlamaOptions): Promise<ModelFormatError> {
  const model = path.join(dir, `${name}.gguf`);
  await writeRandomLlama(model, options);
  const error = await Model.load({ kind: "file", path: model }).then(
    async (loaded) => {
      await loaded.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  return error as ModelFormatError;
}

describe("model files", () => {
  it.each([
    ["a fractional block_count", "llama.block_count", gv.f32(2.5), "2.5, not a whole number"],
    ["a block_count of 0", "llama.block_count", gv.u32(0), "0, not a whole number from 1"],
    ["a negative block_count", "llama.block_count", gv.i32(-1), "-1, not a whole number from 1"],
    ["a NaN block_count", "llama.block_count", gv.f32(NaN), "NaN, not a whole number"],
    ["a NaN epsilon", "llama.attention.layer_norm_rms_epsilon", gv.f32(NaN), "NaN, not a positive finite number"],
    ["a negative epsilon", "llama.attention.layer_norm_rms_epsilon", gv.f32(-1e-5), "not a positive finite number"],
    ["a fractional context length", "llama.context_length", gv.f32(12.5), "12.5, not a whole number"],
    ["a zero context length", "llama.context_length", gv.u32(0), "0, not a whole number"],
    ["an embedding_length of 0", "llama.embedding_length", gv.u32(0), "0, not a whole number"],
  ])("refuse %s, naming the key and its value", async (name, key, value, fragment) => {
    const error = await loadError(name.replace(/ /g, "-"), { metadata: { [key]: value } });
    expect(error.message).toContain(`"${key}"`);
    expect(error.message).toContain(fragment);
  });

  it("refuse tensors the metadata does not describe: a block_count of 1 in a file of 2 blocks", async () => {
    const error = await loadError("extra-blocks", { layers: 2, metadata: { "llama.block_count": gv.u32(1) } });
    expect(error.message).toMatch(/tensors .*"blk\.1\.attn_norm\.weight".* are not part of the model/);
  });

  it("refuse a vocabulary token that is not UTF-8 rather than read it as U+FFFD, naming the token", async () => {
    const model = path.join(dir, "bad-utf8-token.gguf");
    await writeRandomLlama(model, { pieces: ["\u00ffmarker", "once", "upon"] });
    const bytes = new Uint8Array(await readFile(model));
    const marker = Buffer.from("\u00ffmarker", "utf8"); // c3 bf, then ASCII
    const at = Buffer.from(bytes).indexOf(marker);
    expect(at).toBeGreaterThan(0);
    bytes[at] = 0xff; // a byte that starts no UTF-8 sequence, the length unchanged
    await writeFile(model, bytes);
    const error = await Model.load({ kind: "file", path: model }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error!.message).toMatch(
      /metadata key 'tokenizer\.ggml\.tokens'\[\d+\] is not valid UTF-8 \(byte 0xff at offset 0\)/,
    );
  });

  it("refuse a tokenizer.json (or any JSON of a model) that is not UTF-8", async () => {
    const json = Buffer.from(JSON.stringify({ model: { vocab: { once: 0 } } }));
    const tokenizerJson = await file(
      "tokenizer.json",
      Buffer.concat([json.subarray(0, 10), Buffer.from([0xc3, 0x28]), json.subarray(10)]),
    );
    expect(() => readJsonFile(tokenizerJson)).toThrow(
      expect.objectContaining({ message: "not valid UTF-8 (byte 0xc3 at offset 10)", file: tokenizerJson }),
    );
  });

  it("refuse a NaN or an infinite weight, naming the tensor", async () => {
    for (const value of [NaN, Infinity]) {
      const error = await loadError(`poisoned-${value}`, {
        overwrite: { tensor: "blk.0.ffn_up.weight", values: { 5: value } },
      });
      expect(error.message).toContain(`tensor "blk.0.ffn_up.weight" holds ${value} at element 5`);
    }
  });

  it("refuse a quantized matrix kept in its blocks whose block scale is not finite, naming the tensor", async () => {
    for (const [tensorType, bytesPerBlock] of [
      ["Q8_0", 34],
      ["Q4_0", 18],
    ] as const) {
      // f16 NaN and +infinity, written over the scale of the matrix's second block.
      for (const [value, bits] of [
        ["NaN", 0x7e00],
        ["Infinity", 0x7c00],
      ] as const) {
        const model = path.join(dir, `poisoned-${tensorType}-${value}.gguf`);
        await writeRandomLlama(model, { tensorType, dModel: 64, ff: 128 });
        const bytes = await readFile(model);
        const { byteOffset } = (await loadGguf(model)).tensorInfo("blk.0.ffn_up.weight");
        bytes.writeUInt16LE(bits, byteOffset + bytesPerBlock);
        await writeFile(model, bytes);
        const error = await Model.load({ kind: "file", path: model }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(error).toBeInstanceOf(ModelFormatError);
        expect(error!.message).toContain(`tensor "blk.0.ffn_up.weight" holds a block scaled by ${value} (block 1)`);
      }
    }
    // Q4_K's mins become per-block offsets: a NaN dmin (bytes 2–3 of a super-block) poisons its 8 blocks' offsets.
    const model = path.join(dir, "poisoned-Q4_K.gguf");
    await writeRandomLlama(model, { tensorType: "Q4_K", dModel: 256, ff: 512, heads: 4, kvHeads: 2, layers: 1 });
    const bytes = await readFile(model);
    bytes.writeUInt16LE(0x7e00, (await loadGguf(model)).tensorInfo("blk.0.ffn_up.weight").byteOffset + 2);
    await writeFile(model, bytes);
    await expect(Model.load({ kind: "file", path: model })).rejects.toThrow(
      'tensor "blk.0.ffn_up.weight" holds a block offset by NaN (block 0)',
    );
  });

  it("quote and escape strings from the file: an architecture name cannot drive the terminal", async () => {
    const model = path.join(dir, "escape.gguf");
    await writeRandomLlama(model, { architecture: "llama\u001b[2J\u001b]0;owned\u0007\nfake" });
    const outcome = await ptch(["model", model]);
    expectCleanFailure(outcome);
    expect(outcome.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(outcome.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(outcome.stderr).toContain("\\u001b[2J");
  });

  it("open only regular files: /dev/zero and a FIFO end at once", async () => {
    const fifo = path.join(dir, "model.fifo");
    execFileSync("mkfifo", [fifo]);
    for (const model of ["/dev/zero", fifo]) {
      const src = await file("special.ptch", `model ${JSON.stringify(model)}\nprompt p = "a"\ngenerate 1 from p\n`);
      const started = Date.now();
      expectCleanFailure(await ptch(["run", src]), "not a regular file");
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it("end a run whose logits overflow with a clear message, not a stream of <unk>", async () => {
    const src = await file(
      "overflow.ptch",
      'model "stories260K"\nprompt p = "Once upon a time"\nscale resid[L=2, pos=*] in p by 1e38\ngenerate 5 from p\n',
    );
    expectCleanFailure(await ptch(["run", src]), "not finite", "overflow float32");
  });
});

describe(".ptch sources that are not text", () => {
  it("take a model file given as the experiment for what it is, within milliseconds", async () => {
    const started = Date.now();
    const outcome = await ptch(["lint", "models/stories260K/stories260K.gguf"]);
    expectCleanFailure(outcome, "is a GGUF model file, not a .ptch source; did you mean --model?");
    expect(outcome.stdout).toBe("");
    expect(outcome.stderr.length).toBeLessThan(300);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("name safetensors, UTF-16, NUL bytes and invalid UTF-8 (with its line and column)", () => {
    const safetensors = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d]);
    expect(whyNotText(safetensors)).toContain("safetensors");
    expect(whyNotText(Buffer.from('\ufeffmodel "m"\n', "utf16le"))).toContain("UTF-16");
    expect(whyNotText(Buffer.from('model "m"\n', "utf16le"))).toContain("UTF-16");
    expect(whyNotText(Buffer.from('model "m"\nprompt p = "a\u0000"'))).toContain("NUL byte at offset 23");
    expect(whyNotText(Buffer.concat([Buffer.from('model "m"\nprompt p = "'), Buffer.from([0xc3, 0x28])]))).toContain(
      "line 2, column 13: byte 0xc3",
    );
    expect(whyNotText(Buffer.from([0xed, 0xa0, 0x80]))).toContain("not valid UTF-8");
    expect(whyNotText(Buffer.from('model "m"\nprompt p = "é ∑ 😀"\n'))).toBeUndefined();
  });

  it("refuse 200 KB of random bytes in one line", async () => {
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
    const outcome = await ptch(["lint", await file("random.ptch", bytes)]);
    expectCleanFailure(outcome);
    expect(outcome.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("refuse a folder and a FIFO in place of a source, without waiting", async () => {
    expectCleanFailure(await ptch(["lint", dir]), "is a directory");
    const fifo = path.join(dir, "source.fifo");
    execFileSync("mkfifo", [fifo]);
    expectCleanFailure(await ptch(["lint", fifo]), "not a regular file");
  });
});

describe(".ptch sources of any size lint in bounded time", () => {
  const lint = (text: string) => file(`big-${text.length}.ptch`, text).then((f) => ptch(["lint", f]));

  it("a 9 MB string literal", async () => {
    const outcome = await lint(`model "stories260K"\nprompt p = "${"a".repeat(9_000_000)}"\ngenerate 1 from p\n`);
    expect(outcome.code).toBe(1);
    expect(outcome.stdout).toContain("error PTCH3112: prompt 'p' and 1 new tokens need 9000002 positions");
    expect(outcome.stderr).toBe("");
  });

  it("a sweep of 200k values and a million ')', each reported, not a stack overflow", async () => {
    const values = Array.from({ length: 200_000 }, () => "1").join(",");
    const sweep = await lint(`model "stories260K"\nprompt p = "x"\nsweep l in [${values}]\n`);
    expect(sweep.code).toBe(1);
    expect(sweep.stdout).toContain("… and 199979 more PTCH3017 like this");
    expect(sweep.stdout.length).toBeLessThan(100_000);
    const parentheses = await lint(`model "stories260K"\n${")".repeat(1_000_000)}\n`);
    expect(parentheses.code).toBe(1);
    expect(parentheses.stdout).toContain("error PTCH");
    expect(parentheses.stderr).toBe("");
  });

  it("many statements: 30k prompts, and 30k copies of one patch (each reported as overriding the last)", async () => {
    const prompts = Array.from({ length: 30_000 }, (_, i) => `prompt p${i} = "Once"\n`).join("");
    const started = Date.now();
    const unused = await lint(`model "stories260K"\n${prompts}generate 1 from p0\n`);
    expect(unused.code).toBe(0);
    expect(unused.stdout).toContain("… and 29979 more PTCH2003 like this");
    const patches = "patch resid[L=1, pos=-1] from q into p\n".repeat(30_000);
    const overridden = await lint(
      `model "stories260K"\nprompt p = "Once"\nprompt q = "Two"\n${patches}generate 1 from p\n`,
    );
    expect(overridden.stdout).toContain("… and 29979 more PTCH3115 like this");
    // Quadratic checks took minutes here; linear ones take seconds.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("a misspelt name of 20k characters gets no suggestion, at once", () => {
    const started = Date.now();
    const { diagnostics } = compile(`model "m"\nprompt story = "x"\ngenerate 5 from ${"s".repeat(20_000)}\n`);
    expect(diagnostics.some((d) => d.code === "PTCH2001" && !d.message.includes("did you mean"))).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(closestName("stroy", ["story"])).toBe("story");
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("ab", "ba")).toBe(1);
  });

  it("10k errors print 20 of a kind and a count of the rest, on one line index", () => {
    const source = `model "m"\nprompt story = "x"\n${"generate 5 from stroy\n".repeat(10_000)}`;
    const started = Date.now();
    const text = formatDiagnostics(compile(source).diagnostics, "f.ptch", source);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(text.match(/error PTCH2001/g)).toHaveLength(20);
    expect(text).toContain("f.ptch: … and 9980 more PTCH2001 like this");
  });

  it("echo source lines with control characters escaped, and long lines cut to a window", () => {
    const source = `model "m"\nprompt p = "red"\ngenerate 1 from q # \u001b[31m ${"x".repeat(500)}\n`;
    const text = formatDiagnostics(compile(source).diagnostics, "f.ptch", source);
    expect(text).not.toContain("\u001b");
    expect(text).toContain("\\x1b[31m");
    expect(Math.max(...text.split("\n").map((line) => line.length))).toBeLessThan(200);
  });
});

describe("plans of any size run or are refused before they start", () => {
  it("10k generate statements run, each once, in time linear in their number", async () => {
    const source = `model "stories260K"\nprompt p = "Once"\n${"generate 1 from p\n".repeat(10_000)}`;
    const started = Date.now();
    const outcome = await ptch(["run", await file("many-generations.ptch", source), "--json"]);
    expect(outcome.code).toBe(0);
    expect((JSON.parse(outcome.stdout) as { runs: unknown[] }).runs).toHaveLength(10_000);
    // Each generation scanned the steps before it, and 100k took minutes; now they take seconds.
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it("results too large to hold are refused at the statement that takes them over, before anything runs", async () => {
    const source = [
      'model "stories260K"',
      'prompt story = "Once upon a time"',
      "sweep a in 1..10000",
      "scale resid[L=2, pos=-1] in story by a",
      ..."generate 5 from story\n".repeat(40).trimEnd().split("\n"),
      "",
    ].join("\n");
    const outcome = await ptch(["run", await file("too-large.ptch", source)]);
    expectCleanFailure(outcome, "too-large.ptch:", "error PTCH3120", "400000 generations", "more than the 2.0 GiB");
    expect(outcome.stderr).toMatch(/too-large\.ptch:\d+:1: error PTCH3120/);
  });
});

describe("writes", () => {
  const source = 'model "stories260K"\nprompt p = "Once"\ngenerate 2 from p\n';

  it("compile -o onto its own source is refused, and the source survives", async () => {
    const src = await file("self.ptch", source);
    expectCleanFailure(await ptch(["compile", src, "-o", src]), "is an input of this command");
    expect(await readFile(src, "utf8")).toBe(source);
  });

  it("compile -o replaces a module ptch wrote, but not someone's file without --force", async () => {
    const src = await file("mine.ptch", source);
    const out = path.join(dir, "mine.ts");
    expect((await ptch(["compile", src, "-o", out])).code).toBe(0);
    expect((await ptch(["compile", src, "-o", out])).code).toBe(0);
    const theirs = await file("theirs.ts", "export const precious = 1;\n");
    expectCleanFailure(await ptch(["compile", src, "-o", theirs]), "was not written by ptch; give --force");
    expect(await readFile(theirs, "utf8")).toBe("export const precious = 1;\n");
    expect((await ptch(["compile", src, "-o", theirs, "--force"])).code).toBe(0);
    expect(await readFile(theirs, "utf8")).toMatch(/^\/\/ Generated by ptch/);
  });

  it("compile -o - writes the module to standard output", async () => {
    const outcome = await ptch(["compile", await file("stdout.ptch", source), "-o", "-"]);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^\/\/ Generated by ptch from/);
  });

  it("never replaces a FIFO or a device, and leaves no temporary file behind", async () => {
    const src = await file("special-out.ptch", source);
    const fifo = path.join(dir, "out.fifo");
    execFileSync("mkfifo", [fifo]);
    const before = await readdir(dir);
    expectCleanFailure(await ptch(["compile", src, "-o", fifo]), "is not a regular file");
    expectCleanFailure(await ptch(["compile", src, "-o", "/dev/null"]), "is not a regular file");
    expect(await readdir(dir)).toEqual(before);
  });

  it("a read-only file stays as it was when the folder is not writable either", async () => {
    if (process.getuid?.() === 0) return; // root writes anywhere: nothing to observe
    const folder = await mkdtemp(path.join(dir, "locked-"));
    const src = await file("locked.ptch", source);
    await chmod(folder, 0o555);
    expectCleanFailure(await ptch(["compile", src, "-o", path.join(folder, "out.ts")]), "cannot write");
    await chmod(folder, 0o755);
    expect(existsSync(path.join(folder, "out.ts"))).toBe(false);
  });
});

describe("command-line conventions", () => {
  it.each(["run", "lint", "plan", "compile", "fmt", "model", "tokenize"])(
    "ptch %s --help prints its usage",
    async (c) => {
      const outcome = await ptch([c, "--help"]);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toContain(`ptch ${c}`);
    },
  );

  it("lint --json prints diagnostics as JSON, as --format json does", async () => {
    const src = await file("json.ptch", 'model "stories260K"\nprompt p = "x"\ngenerate 1 from q\n');
    const outcome = await ptch(["lint", src, "--json"]);
    expect(outcome.code).toBe(1);
    expect(JSON.parse(outcome.stdout).diagnostics[0].code).toBe("PTCH2001");
  });

  it("an unknown option or command suggests the nearest", async () => {
    expectCleanFailure(await ptch(["lint", "x.ptch", "--jsn"]), "unknown option '--jsn'; did you mean '--json'?");
    expectCleanFailure(await ptch(["lnit", "x.ptch"]), "unknown command 'lnit'; did you mean 'lint'?");
  });

  it("two unseeded sampling statements differ, and each repeats; --json reports the seeds", async () => {
    const src = await file(
      "unseeded.ptch",
      'model "stories260K"\nprompt p = "Once upon a time"\ngenerate 20 from p sample\ngenerate 20 from p sample\n',
    );
    const first = JSON.parse((await ptch(["run", src, "--json"])).stdout);
    const again = JSON.parse((await ptch(["run", src, "--json"])).stdout);
    expect(first.runs.map((r: { sampling: { seed: number } }) => r.sampling.seed)).toEqual([0, 1]);
    expect(first.runs[0].text).not.toBe(first.runs[1].text);
    expect(again.runs.map((r: { text: string }) => r.text)).toEqual(first.runs.map((r: { text: string }) => r.text));
  });
});

describe("--model", () => {
  it("names the option, with the diagnostic's code, when the model it names cannot be opened", async () => {
    const empty = await mkdtemp(path.join(dir, "no-model-"));
    for (const command of ["lint", "run"]) {
      const outcome = await ptch([command, "examples/hello.ptch", "--model", empty]);
      expectCleanFailure(outcome, `ptch: error PTCH3113: --model ${empty}: cannot open the model:`, "config.json");
      expect(outcome.stdout).toBe("");
      expect(outcome.stderr).not.toContain("^");
    }
  });
});
