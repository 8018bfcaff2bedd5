// GGUF export benchmark: wall time of `exportGguf` on the real SmolLM2-135M-Instruct (its Q4_1 GGUF as the base:
// read, dequantize, q/k rows to HF order and back, encode, write) to f16, q8_0 and q4_k_m, beside the PyPI `gguf`
// package doing the converter's part on the same source (dequantize, quantize, GGUFWriter) for f16 and q8_0.
// llama.cpp's own llama-quantize is not installed here, so q4_k_m has no peer figure.
//
//   npm run bench -- export [--runs N] [--threads N] [--no-peer]
//
// Each figure is the median of N runs (default 3). Ours runs on the native thread pool (default 2 threads); numpy
// runs on one thread. Output files go to a temp folder that is removed at the end.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exportGguf } from "../../src/export/index.js";
import type { ExportType } from "../../src/export/index.js";
import { setThreads } from "../../src/tensor/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const python = path.join(root, "interop", ".venv", "bin", "python");
const source = path.join(process.env.LORAFORGE_MODELS_DIR ?? path.join(root, ".cache", "models"), "SmolLM2-135M-Instruct.Q4_1.gguf");

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Math.max(1, Number(option("--runs") ?? 3));
const threads = Number(option("--threads") ?? 2);
const noPeer = process.argv.includes("--no-peer") || !existsSync(python);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

if (!existsSync(source)) {
  console.error(`the real model is missing: ${source} (npm run fetch-models)`);
  process.exit(1);
}
setThreads(threads);
const dir = mkdtempSync(path.join(tmpdir(), "lf-bench-export-"));
try {
  console.log(`export of SmolLM2-135M-Instruct (Q4_1 GGUF base), ${threads} threads, median of ${runs}; load average ${loadavg()[0].toFixed(1)}`);
  console.log("| type | ours s | MB | gguf-py s | ratio |");
  console.log("|---|---|---|---|---|");
  for (const type of ["f16", "q8_0", "q4_k_m"] as ExportType[]) {
    const out = path.join(dir, `ours-${type}.gguf`);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      exportGguf({ model: source, out, type, overwrite: true });
      times.push(Number(process.hrtime.bigint() - t0) * 1e-9);
    }
    const ours = median(times);
    let peer = "—";
    let ratio = "—";
    if (!noPeer && type !== "q4_k_m") {
      const res = spawnSync(python, [path.join(here, "peer.py"), source, path.join(dir, `peer-${type}.gguf`), type.toUpperCase(), String(runs)], { encoding: "utf8" });
      if (res.status === 0) {
        const seconds = (JSON.parse(res.stdout) as { seconds: number }).seconds;
        peer = seconds.toFixed(2);
        ratio = `${(seconds / ours).toFixed(1)}×`;
      } else {
        peer = `failed: ${res.stderr.trim().split("\n").at(-1)}`;
      }
    }
    console.log(`| ${type} | ${ours.toFixed(2)} | ${(statSync(out).size / 1e6).toFixed(1)} | ${peer} | ${ratio} |`);
  }
  if (noPeer) console.log("(no peer: interop/.venv with gguf==0.19.0 is missing, or --no-peer)");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
