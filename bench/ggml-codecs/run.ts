// ggml block codec benchmark: dequantize and quantize throughput of every ggml type loraforge codes, on one
// 576 x 1536 weight (an smollm2-135m MLP projection; N(0, 0.02) values), beside the PyPI `gguf` package's numpy
// codecs (gguf.quants) on the same values and the same bytes from the same run.
//
//   npm run bench -- ggml-codecs [--runs N] [--threads N] [--no-peer]
//
// MB/s counts the f32 side: 4 bytes per element produced (dequantize) or consumed (quantize). Each time is the
// median of N runs (default 7) after two warm-ups. Ours runs on the native thread pool (default 2 threads);
// numpy runs on one thread. gguf-py has no K-quant encoder, so those rows have no peer quantize figure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GGML_TYPES, dequantizeGgml, quantizeGgml } from "../../src/quant/index.js";
import { nativeInfo, setThreads } from "../../src/tensor/index.js";
import { Rng } from "../../src/util/rng.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..", "..");
const python = path.join(root, "interop", ".venv", "bin", "python");

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const runs = Math.max(3, Number(option("--runs") ?? 7));
const threads = Number(option("--threads") ?? 2);
const noPeer = process.argv.includes("--no-peer");

const ROWS = 576;
const COLS = 1536;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(step: () => void): number {
  const wall: number[] = [];
  for (let r = -2; r < runs; ++r) {
    const t0 = process.hrtime.bigint();
    step();
    if (r >= 0) wall.push(Number(process.hrtime.bigint() - t0) * 1e-9);
  }
  return median(wall);
}

const mbps = (seconds: number | null | undefined) => (seconds ? ((ROWS * COLS * 4) / seconds / 1e6).toFixed(0) : "—");
const ratio = (ours: number, theirs: number | null | undefined) => (theirs ? `${(theirs / ours).toFixed(1)}×` : "—");

function peerState(): { ok: true } | { ok: false; reason: string } {
  if (noPeer) return { ok: false, reason: "--no-peer given" };
  if (!existsSync(python)) return { ok: false, reason: "interop/.venv is missing; create it with `bash interop/setup.sh` (needs gguf==0.19.0, numpy)" };
  const probe = spawnSync(python, ["-c", "import gguf, numpy"], { encoding: "utf8" });
  if (probe.status !== 0) return { ok: false, reason: "interop/.venv lacks gguf/numpy; run `interop/.venv/bin/pip install gguf==0.19.0 numpy==2.4.6`" };
  return { ok: true };
}

function main(): void {
  setThreads(threads);
  const rng = new Rng(1);
  const values = Float32Array.from({ length: ROWS * COLS }, () => rng.normal() * 0.02);
  const peer = peerState();
  const dir = mkdtempSync(path.join(tmpdir(), "lf-ggml-bench-"));
  writeFileSync(path.join(dir, "values.f32"), values);
  console.log(`ggml codecs on ${ROWS} x ${COLS} f32 (${((ROWS * COLS * 4) / 1e6).toFixed(2)} MB), ${threads} threads (${nativeInfo().isa}), median of ${runs}; load ${loadavg()[0].toFixed(1)}`);
  if (!peer.ok) console.log(`note: gguf-py peer skipped: ${peer.reason}`);
  console.log("| type | dequantize MB/s | gguf-py | ratio | quantize MB/s | gguf-py | ratio |");
  console.log("|---|---|---|---|---|---|---|");
  let peerVersions = "";
  try {
    for (const type of GGML_TYPES) {
      const bytes = quantizeGgml(type, values, COLS);
      const deq = timed(() => dequantizeGgml(type, bytes, ROWS * COLS));
      const q = timed(() => quantizeGgml(type, values, COLS));
      let theirs: { dequantize_seconds: number; quantize_seconds: number | null; gguf: string; numpy: string } | undefined;
      if (peer.ok) {
        writeFileSync(path.join(dir, `${type.name}.bin`), bytes);
        const res = spawnSync(python, [path.join(here, "peer.py"), dir, type.name, String(ROWS), String(COLS), String(runs)], { encoding: "utf8" });
        if (res.status === 0) {
          theirs = JSON.parse(res.stdout);
          peerVersions = `gguf ${theirs!.gguf}, numpy ${theirs!.numpy}`;
        } else console.error(`gguf-py peer failed on ${type.name}: ${res.stderr}`);
      }
      console.log(`| ${type.name} | ${mbps(deq)} | ${mbps(theirs?.dequantize_seconds)} | ${ratio(deq, theirs?.dequantize_seconds)} | ${mbps(q)} | ${mbps(theirs?.quantize_seconds)} | ${ratio(q, theirs?.quantize_seconds)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (peerVersions) console.log(`\npeer: ${peerVersions} (one thread); ratio = peer time / ours`);
}

main();
