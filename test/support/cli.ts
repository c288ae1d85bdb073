// The ptch command line as the end-to-end tests run it: the compiled bin in a real process.

import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const BIN = path.join(ROOT, "dist", "bin", "ptch.js");

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ptch ARGS` in `cwd`; a process that outlives `timeout` ms is killed (and fails the test's checks). */
export async function ptch(args: string[], cwd = ROOT, timeout = 0): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd,
      timeout,
      maxBuffer: 64 * 2 ** 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Bad input ends with a message on stderr, exit code 1, and no stack trace. */
export function expectCleanFailure(outcome: Outcome, ...fragments: string[]): void {
  expect(outcome.code).toBe(1);
  expect(outcome.stdout).toBe("");
  for (const f of fragments) expect(outcome.stderr).toContain(f);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(outcome.stderr).not.toContain("internal error");
}
