// Writes grammar/cst.ts, the types of the CST, from the grammar itself with Chevrotain's generateCstDts, so that
// they cannot drift from grammar/parser.ts. Run `npm run generate-cst-types` after changing a rule; a test fails
// while the committed file is stale.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateCstDts } from "chevrotain";
import * as prettier from "prettier";
import { parser } from "../grammar/parser.js";

export const CST_TYPES_FILE = fileURLToPath(new URL("../grammar/cst.ts", import.meta.url));

const HEADER = `// Generated from the grammar in parser.ts by scripts/generate-cst-types.ts (\`npm run generate-cst-types\`); do
// not edit. A child the grammar requires is typed as present: it is in every node that recovery left whole
// (cst-queries.ts \`isComplete\`), which is all the AST builder visits.

`;

/** The text grammar/cst.ts should have: the generated declarations, formatted as the tree is. */
export async function cstTypesSource(): Promise<string> {
  const declarations = generateCstDts(parser.getGAstProductions(), { visitorInterfaceName: "CstVisitor" });
  const options = (await prettier.resolveConfig(CST_TYPES_FILE)) ?? {};
  return prettier.format(HEADER + declarations, { ...options, filepath: CST_TYPES_FILE });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeFileSync(CST_TYPES_FILE, await cstTypesSource());
