#!/usr/bin/env node
// Thin launcher: the CLI itself is compiled TypeScript in dist/ (built by `npm install` through `prepare`).
import("../dist/cli/main.js").then((m) => m.main(process.argv)).catch((err) => {
  console.error(`loraforge: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
