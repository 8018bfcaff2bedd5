// Calibrates the memory planner (src/quant/memory-plan.ts) against measured peak RSS of our own training steps
// (bench/qlora/step.ts, one child process each), then checks it on held-out configurations.
//   npx tsx bench/qlora/calibrate.ts [--cache FILE]
// Tuning configurations fit two constants (runtime bytes, activation factor) by least squares; the held-out
// ones are only predicted. Prints a table: measured, predicted, error.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readModelFolder, writeInitModel, planInitModel } from "../../src/model/index.js";
import type { PlanDims } from "../../src/quant/index.js";
import { planMemory } from "../../src/quant/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const work = option("--models", path.join(os.tmpdir(), "loraforge-qlora-models"));
const cacheFile = option("--cache", path.join(work, "measurements.json"));

interface Config {
  preset: string;
  method: "lora" | "qlora";
  batch: number;
  seq: number;
  ckpt: boolean;
  role: "tune" | "held-out";
}
const TUNE: Config[] = [
  { preset: "smollm2-135m", method: "lora", batch: 1, seq: 256, ckpt: false, role: "tune" },
  { preset: "smollm2-135m", method: "qlora", batch: 1, seq: 256, ckpt: false, role: "tune" },
  { preset: "smollm2-135m", method: "lora", batch: 1, seq: 256, ckpt: true, role: "tune" },
  { preset: "smollm2-135m", method: "qlora", batch: 1, seq: 256, ckpt: true, role: "tune" },
];
const HELD: Config[] = [
  { preset: "smollm2-135m", method: "lora", batch: 2, seq: 256, ckpt: true, role: "held-out" },
  { preset: "smollm2-135m", method: "qlora", batch: 1, seq: 512, ckpt: false, role: "held-out" },
  { preset: "qwen2.5-0.5b", method: "lora", batch: 1, seq: 512, ckpt: true, role: "held-out" },
  { preset: "qwen2.5-0.5b", method: "qlora", batch: 1, seq: 512, ckpt: true, role: "held-out" },
];

const key = (c: Config) => `${c.preset} ${c.method} b${c.batch} t${c.seq} ${c.ckpt ? "ckpt" : "no-ckpt"}`;
const cache: Record<string, number> = fs.existsSync(cacheFile) ? (JSON.parse(fs.readFileSync(cacheFile, "utf8")) as Record<string, number>) : {};

function modelDir(preset: string): string {
  const dir = path.join(work, preset);
  if (!fs.existsSync(dir)) writeInitModel(dir, planInitModel({ preset, seed: 1 }));
  return dir;
}

function measure(c: Config): number {
  if (cache[key(c)] !== undefined) return cache[key(c)];
  const out = execFileSync(process.execPath, ["--import", "tsx", "bench/qlora/step.ts", modelDir(c.preset), c.method, String(c.batch), String(c.seq), c.ckpt ? "1" : "0", "1"], {
    cwd: root,
    env: { ...process.env, LORAFORGE_THREADS: "2" },
    encoding: "utf8",
  });
  const peak = (JSON.parse(out.trim().split("\n").pop()!) as { peakRssMiB: number }).peakRssMiB * 2 ** 20;
  cache[key(c)] = peak;
  fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
  fs.writeFileSync(cacheFile, JSON.stringify(cache, null, 1));
  return peak;
}

function dims(preset: string): PlanDims {
  const c = readModelFolder(modelDir(preset)).config;
  return { hiddenSize: c.hiddenSize, intermediateSize: c.intermediateSize, numLayers: c.numLayers, numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim, vocabSize: c.vocabSize, tieWordEmbeddings: c.tieWordEmbeddings };
}

const plan = (c: Config, runtimeBytes: number, activationFactor: number) =>
  planMemory(dims(c.preset), { method: c.method, batchSize: c.batch, maxSeqLength: c.seq, gradientCheckpointing: c.ckpt, threads: 2, calibration: { runtimeBytes, activationFactor } });

// Least squares on the tuning set: measured = runtime + fixed + factor·variable, where fixed and variable are
// the plan's parts without and with the activation factor (from plans at factor 0 and 1).
const rows = TUNE.map((c) => {
  const p0 = plan(c, 0, 0).total;
  const p1 = plan(c, 0, 1).total;
  return { y: measure(c) - p0, x: p1 - p0 };
});
const n = rows.length;
const sx = rows.reduce((s, r) => s + r.x, 0);
const sy = rows.reduce((s, r) => s + r.y, 0);
const sxx = rows.reduce((s, r) => s + r.x * r.x, 0);
const sxy = rows.reduce((s, r) => s + r.x * r.y, 0);
const factor = (n * sxy - sx * sy) / (n * sxx - sx * sx);
const runtime = (sy - factor * sx) / n;
console.log(`fitted on ${n} tuning configurations: runtime ${(runtime / 2 ** 20).toFixed(0)} MiB, activation factor ${factor.toFixed(3)}`);
const MiB = (b: number) => (b / 2 ** 20).toFixed(0).padStart(6);
console.log("role       configuration                              measured  predicted  error");
for (const c of [...TUNE, ...HELD]) {
  const m = measure(c);
  const p = plan(c, runtime, factor).total;
  console.log(`${c.role.padEnd(10)} ${key(c).padEnd(42)} ${MiB(m)} MiB ${MiB(p)} MiB ${(((p - m) / m) * 100).toFixed(1).padStart(6)}%`);
}
