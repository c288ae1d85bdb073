import { readFileSync } from "node:fs";
import { formatPtch } from "./compiler/format.js";
for (const f of process.argv.slice(2)) {
  const r = formatPtch(readFileSync(f, "utf8"));
  console.log("=== " + f);
  console.log(r.text ?? JSON.stringify(r.diagnostics.map(d => d.code)));
}
