#!/usr/bin/env node
// The package's `aoai-gateway` bin. The CLI is TypeScript in infra/cli; tsx
// (a runtime dependency) compiles it on load, so a fresh `npm ci` is enough
// and there is no build step to remember.
"use strict";
require("tsx/cjs");
const { run } = require("../infra/cli/main.ts");
run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`aoai-gateway: unexpected error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 3;
  },
);
