// Builds the native addon with node-gyp during `npm install` / `npm ci`.
// npm hands us the node-gyp it bundles (npm_config_node_gyp); Node's own headers are used when they sit
// beside the node binary, so no header download is needed on machines without network access.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const npmDir = path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm");
  const bundled = path.join(npmDir, "node_modules", "node-gyp", "bin", "node-gyp.js");
  if (existsSync(bundled)) return bundled;
  try {
    return require.resolve("node-gyp/bin/node-gyp.js");
  } catch {
    return null;
  }
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  console.error("loraforge: cannot find node-gyp to build the native addon; install it with `npm i -g node-gyp`.");
  process.exit(1);
}
const flags = [];
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (existsSync(path.join(prefix, "include", "node", "node_api.h"))) flags.push(`--nodedir=${prefix}`);
if (process.env.LORAFORGE_DEBUG_BUILD === "1") flags.push("--debug");

// configure + build rather than `rebuild`: rebuild deletes build/ first, so the addon would vanish for the
// whole compile while other processes (tests, a running training) may be loading it.
for (const step of ["configure", "build"]) {
  const result = spawnSync(process.execPath, [nodeGyp, step, ...flags], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
