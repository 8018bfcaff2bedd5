// Runs the benchmarks: every bench/<name>/run.ts, or only the names given (`npm run bench -- gemm`).
// Arguments starting with "--" are passed through to each benchmark (e.g. `npm run bench -- gemm --quick`).
// Benchmarks are never part of `npm test`: they print our figure beside the peer's from the same run.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const benchDir = path.join(root, "bench");
const args = process.argv.slice(2);
const passThrough = [];
const names = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i].startsWith("--")) {
    passThrough.push(args[i]);
    // A flag's value follows it unless it is itself a flag.
    if (i + 1 < args.length && !args[i + 1].startsWith("--") && !existsSync(path.join(benchDir, args[i + 1], "run.ts"))) {
      passThrough.push(args[++i]);
    }
  } else {
    names.push(args[i]);
  }
}

const available = existsSync(benchDir)
  ? readdirSync(benchDir)
      .filter((n) => statSync(path.join(benchDir, n)).isDirectory() && existsSync(path.join(benchDir, n, "run.ts")))
      .sort()
  : [];
const selected = names.length > 0 ? names : available;
if (selected.length === 0) {
  console.error("no benchmarks found (bench/<name>/run.ts)");
  process.exit(1);
}
let failed = 0;
for (const name of selected) {
  const file = path.join(benchDir, name, "run.ts");
  if (!existsSync(file)) {
    console.error(`no benchmark named "${name}" (looked for ${path.relative(root, file)}); available: ${available.join(", ") || "none"}`);
    failed++;
    continue;
  }
  console.log(`== bench/${name} ==`);
  const result = spawnSync(process.execPath, ["--import", "tsx", file, ...passThrough], { stdio: "inherit", cwd: root });
  if (result.status !== 0) {
    console.error(`bench/${name} exited with ${result.status ?? result.signal}`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
