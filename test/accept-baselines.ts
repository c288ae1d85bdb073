// Accepts the baselines the last test run produced (test/baselines/local) as the new references in
// test/baselines/reference, and removes references that a case no longer produces. Run it after reading the diff.

import { existsSync } from "node:fs";
import { copyFile, rm } from "node:fs/promises";
import path from "node:path";
import { BASELINE_SUFFIXES, caseNames, LOCAL_DIR, REFERENCE_DIR } from "./support/baselines.js";

if (!existsSync(LOCAL_DIR)) {
  console.error("no local baselines: run the tests first (npx vitest run test/baselines.test.ts)");
  process.exit(1);
}
for (const name of caseNames()) {
  for (const suffix of BASELINE_SUFFIXES) {
    const file = `${name}${suffix}`;
    const local = path.join(LOCAL_DIR, file);
    const reference = path.join(REFERENCE_DIR, file);
    if (existsSync(local)) await copyFile(local, reference);
    else await rm(reference, { force: true });
  }
}
console.log(`accepted baselines for ${caseNames().length} cases`);
