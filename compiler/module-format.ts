// Which module system will load a generated module, by Node's own rules: `.mts` and `.mjs` files are ES modules,
// `.cts` and `.cjs` files CommonJS, and any other file follows the `"type"` of the nearest package.json, which is
// CommonJS when it is absent. The emitted module must match: an ES module's `import.meta` is a syntax error in
// CommonJS, and CommonJS cannot `require` ptch, an ES module.

import { readFileSync } from "node:fs";
import path from "node:path";

export type ModuleFormat = "esm" | "commonjs";

const FORMAT_OF_EXTENSION: Readonly<Record<string, ModuleFormat>> = {
  ".mts": "esm",
  ".mjs": "esm",
  ".cts": "commonjs",
  ".cjs": "commonjs",
};

/** The format a module written to `file` is loaded as. */
export function moduleFormatAt(file: string): ModuleFormat {
  const byExtension = FORMAT_OF_EXTENSION[path.extname(file).toLowerCase()];
  if (byExtension) return byExtension;
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    const type = packageType(path.join(dir, "package.json"));
    if (type !== undefined) return type === "module" ? "esm" : "commonjs";
    if (path.dirname(dir) === dir) return "commonjs";
  }
}

/** The `"type"` of a package.json ("" when it has none), or undefined where there is no such file. */
function packageType(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const type = (JSON.parse(text) as { type?: unknown }).type;
    return typeof type === "string" ? type : "";
  } catch {
    return ""; // Node refuses a package.json it cannot parse; the module's format is then Node's default.
  }
}
