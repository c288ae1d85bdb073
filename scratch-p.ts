import { parseCst } from "./grammar/index.js";
const r = parseCst(process.argv[2]!);
console.log(r.lexErrors, r.parseErrors.map(e=>[e.name,e.message,e.token.image]), JSON.stringify(r.tokens.map(t=>t.tokenType.name)));
