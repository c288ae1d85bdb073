// ptch installed into a scratch project the way a user installs it: `npm pack`, then `npm ci` of the tarball,
// offline. The scratch project's lockfile is cut from ptch's own, so every package comes from the npm cache
// that ptch's `npm ci` filled, at the versions ptch is tested with.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./cli.js";

const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

/** Where Node finds package `name` from the package at `location`: its own node_modules, then each one above. */
function resolveIn(packages: Lockfile["packages"], location: string, name: string): string | undefined {
  for (let at = location; ;) {
    const candidate = `${at === "" ? "" : `${at}/`}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (at === "") return undefined;
    const parent = at.lastIndexOf("/node_modules/");
    at = parent < 0 ? "" : at.slice(0, parent);
  }
}

/** The entries of ptch's lockfile that `roots` need, with the flags that only mean something in ptch's tree. */
function closure(lock: Lockfile, roots: readonly string[]): Record<string, LockEntry> {
  const needed: Record<string, LockEntry> = {};
  const visit = (location: string, names: Iterable<string>) => {
    for (const name of names) {
      const found = resolveIn(lock.packages, location, name);
      if (found === undefined || needed[found]) continue; // an optional dependency for another platform
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = lock.packages[found]!;
      needed[found] = entry;
      visit(found, [
        ...Object.keys(entry.dependencies ?? {}),
        ...Object.keys(entry.optionalDependencies ?? {}),
        ...Object.keys(entry.peerDependencies ?? {}),
      ]);
    }
  };
  visit("", roots);
  return needed;
}

/**
 * Packs ptch (built already: `npm test` builds first) into `dir` and installs it there, with tsx to run a
 * user's TypeScript. Returns the installed package's folder.
 */
export async function installPackedPtch(dir: string): Promise<string> {
  const { stdout } = await run(NPM, ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir], {
    cwd: ROOT,
  });
  const tarball = stdout.trim().split("\n").at(-1)!;
  const integrity = `sha512-${createHash("sha512")
    .update(await readFile(path.join(dir, tarball)))
    .digest("base64")}`;
  const ptchPackage = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as {
    version: string;
    license: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
    engines: Record<string, string>;
  };
  const lock = JSON.parse(await readFile(path.join(ROOT, "package-lock.json"), "utf8")) as Lockfile;
  const tsxVersion = lock.packages["node_modules/tsx"]!.version!;
  const dependencies = { ptch: `file:${tarball}`, tsx: tsxVersion };
  const manifest = { name: "ptch-consumer", version: "1.0.0", private: true, dependencies };
  const scratchLock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: manifest.name, version: manifest.version, dependencies },
      "node_modules/ptch": {
        version: ptchPackage.version,
        resolved: `file:${tarball}`,
        integrity,
        license: ptchPackage.license,
        dependencies: ptchPackage.dependencies,
        bin: ptchPackage.bin,
        engines: ptchPackage.engines,
      },
      ...closure(lock, [...Object.keys(ptchPackage.dependencies), "tsx"]),
    },
  };
  await writeFile(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(dir, "package-lock.json"), JSON.stringify(scratchLock, null, 2));
  // Offline: the packages are in the cache. Scripts stay off, as in ptch's own install (onnxruntime-node's would
  // download CUDA binaries).
  await run(NPM, ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
  });
  return path.join(dir, "node_modules", "ptch");
}
