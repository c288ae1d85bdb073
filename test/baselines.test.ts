// Golden cases: every test/baselines/cases/NAME.ptch against its reference baselines (see support/baselines.ts).
// On a mismatch, read the diff, then run `npm run baseline-accept` to take the new output.

import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BASELINE_SUFFIXES, baselinesOf, CASES_DIR, caseNames, LOCAL_DIR, REFERENCE_DIR } from "./support/baselines.js";

beforeAll(async () => {
  await rm(LOCAL_DIR, { recursive: true, force: true });
  await mkdir(LOCAL_DIR, { recursive: true });
});

describe("golden cases", () => {
  it.each(caseNames())("%s.ptch matches its baselines", async (name) => {
    const source = await readFile(path.join(CASES_DIR, `${name}.ptch`), "utf8");
    const actual = await baselinesOf(name, source);
    for (const [file, text] of Object.entries(actual)) await writeFile(path.join(LOCAL_DIR, file), text);
    for (const suffix of BASELINE_SUFFIXES) {
      const file = `${name}${suffix}`;
      const reference = path.join(REFERENCE_DIR, file);
      const expected = existsSync(reference) ? await readFile(reference, "utf8") : undefined;
      expect(
        actual[file],
        `${file} differs from its baseline; if the new output is right, run npm run baseline-accept`,
      ).toBe(expected);
    }
  });
});
