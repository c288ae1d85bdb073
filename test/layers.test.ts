// The layering of docs/architecture.md, enforced: each folder imports only the layers below it, and one module
// imports onnxruntime.

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
/** The layers, bottom first; a module may import its own layer and those below it. */
const LAYERS = ["foundation", "grammar", "compiler", "runtime", "bin"] as const;

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => path.join(folder, file));
}

/** Every module a file imports, as written: relative paths and package names. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|\bimport\("([^"]+)"\)/gms)].map(
    (match) => (match[1] ?? match[2])!,
  );
}

const layerOf = (file: string) => LAYERS.indexOf(file.split(path.sep)[0] as (typeof LAYERS)[number]);

describe("layers", () => {
  it.each(LAYERS.flatMap(sourceFiles))("%s imports no layer above its own", (file) => {
    const above = importsOf(file)
      .filter((specifier) => specifier.startsWith("."))
      .map((specifier) => path.relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier)))
      .filter((target) => layerOf(target) > layerOf(file));
    expect(above).toEqual([]);
  });

  it("foundation imports nothing of ptch's but itself", () => {
    const outside = sourceFiles("foundation").flatMap((file) =>
      importsOf(file).filter((specifier) => specifier.startsWith("..")),
    );
    expect(outside).toEqual([]);
  });

  it("one module imports onnxruntime", () => {
    const importers = LAYERS.flatMap(sourceFiles).filter((file) =>
      importsOf(file).some((specifier) => specifier.startsWith("onnxruntime")),
    );
    expect(importers).toEqual([path.join("runtime", "onnx", "session.ts")]);
  });
});
