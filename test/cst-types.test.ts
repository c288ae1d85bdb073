import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CST_TYPES_FILE, cstTypesSource } from "../scripts/generate-cst-types.js";

describe("grammar/cst.ts", () => {
  it("is what the grammar generates: after changing a rule, run `npm run generate-cst-types`", async () => {
    expect(readFileSync(CST_TYPES_FILE, "utf8")).toBe(await cstTypesSource());
  });
});
