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
const args = [nodeGyp, "rebuild"];
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (existsSync(path.join(prefix, "include", "node", "node_api.h"))) args.push(`--nodedir=${prefix}`);
if (process.env.LORAFORGE_DEBUG_BUILD === "1") args.push("--debug");

const result = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(result.status ?? 1);
