// LoRA training-step benchmark: one step (forward, backward into the adapters, AdamW) with r = 16 on all seven
// projections, every token trained, on random-initialized preset folders and on the real SmolLM2-135M-Instruct
// (`smollm2-real`: its GGUF imported to a bf16 folder, 49,152-token vocabulary); loraforge (bf16 weights, f32 compute, and
// the bf16 compute mode) beside transformers + peft on PyPI torch (float32, and torch.autocast("cpu", bfloat16)),
// all with 2 threads and OMP_WAIT_POLICY=PASSIVE, each in its own process (peak RSS is per process). The four
// configurations alternate in --repeats rounds, so each sees the same share of a shared machine; figures are medians.
//
// gemma3-270m is Gemma 3's shape (sandwich norms, GeGLU, 5 sliding : 1 full layers with a 512-token window, a
// 262,144-token vocabulary); at T = 512 the window covers every sequence, at 2048 it binds.
//
//   npm run bench -- train-step [--steps N] [--repeats N] [--presets smollm2-135m,qwen2.5-0.5b,gemma3-270m,smollm2-real] [--lengths 512,2048]
//                               [--batches 1,4] [--no-peer] [--fresh]
// --fresh adds ours f32 without the step arena (every op's output a fresh buffer), for the page faults it costs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findSmolLM2 } from "../../src/demo/smollm2.js";
import { importGguf } from "../../src/gguf/index.js";
import { planInitModel, writeInitModel } from "../../src/model/init.js";
import { Rng } from "../../src/util/rng.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = option("--steps", "2");
const repeats = Number(option("--repeats", "3"));
const presets = option("--presets", "smollm2-135m").split(",");
const lengths = option("--lengths", "512").split(",").map(Number);
const batches = option("--batches", "1").split(",").map(Number);
const noPeer = process.argv.includes("--no-peer");
const fresh = process.argv.includes("--fresh");
const python = path.join(root, "interop", ".venv", "bin", "python");
const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", LORAFORGE_THREADS: "2", OMP_NUM_THREADS: "2" };

interface Result {
  tokensPerSecond: number;
  secondsPerStep: number;
  peakRssMiB: number;
  minorFaultsPerStep?: number;
  perOp?: Record<string, number>;
  arenaPeakMiB?: number;
}

function measure(command: string, args: string[]): Result {
  const out = execFileSync(command, args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Result;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const CONFIGS = [
  { name: "ours f32", peer: false, args: ["bf16", "f32"] },
  { name: "ours bf16", peer: false, args: ["bf16", "bf16"] },
  { name: "torch f32", peer: true, args: ["float32"] },
  { name: "torch autocast", peer: true, args: ["autocast"] },
  ...(fresh ? [{ name: "ours f32 fresh", peer: false, args: ["bf16", "f32", "fresh"] }] : []),
].filter((c) => !(noPeer && c.peer));

/** A random preset folder, or the real SmolLM2 (its GGUF as the HF folder both sides read); returns the vocabulary size. */
function writeModel(preset: string, dir: string): number {
  if (preset === "smollm2-real") {
    const file = findSmolLM2();
    if (!file) throw new Error("smollm2-real needs the real model: npm run fetch-models");
    return importGguf(file, dir, { dtype: "bf16" }).config.vocab_size as number;
  }
  const plan = planInitModel({ preset, seed: 0 });
  writeInitModel(dir, plan);
  return plan.config.vocabSize;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-bench-step-"));
try {
  console.log(`LoRA step, r=16, 7 projections, 2 threads, ${steps} timed steps after 1 warm-up; median of ${repeats} alternating rounds`);
  console.log(`preset          T     batch ${CONFIGS.map((c) => c.name.padStart(15)).join("")}   ours best / torch best   RSS MiB (${CONFIGS.map((c) => c.name).join(" / ")})`);
  const profiles: string[] = [];
  const spreads: string[] = [];
  for (const preset of presets) {
    const dir = path.join(work, preset);
    const vocabSize = writeModel(preset, dir);
    for (const t of lengths) {
      for (const batch of batches) {
        const rng = new Rng(batch * 7919 + t);
        const ids = Array.from({ length: batch }, () => Array.from({ length: t }, () => rng.int(vocabSize)));
        const idsFile = path.join(work, `ids-${t}-${batch}.json`);
        fs.writeFileSync(idsFile, JSON.stringify(ids));
        const runs: Result[][] = CONFIGS.map(() => []);
        for (let r = 0; r < repeats; r++) {
          CONFIGS.forEach((c, i) => {
            runs[i].push(
              c.peer
                ? measure(python, [path.join(root, "bench/train-step/peer.py"), dir, idsFile, steps, ...c.args])
                : measure(process.execPath, ["--import", "tsx", path.join(root, "bench/train-step/ours.ts"), dir, idsFile, steps, ...c.args]),
            );
          });
        }
        const tps = runs.map((rs) => median(rs.map((x) => x.tokensPerSecond)));
        const rss = runs.map((rs) => median(rs.map((x) => x.peakRssMiB)));
        const oursBest = Math.max(...tps.filter((_, i) => !CONFIGS[i].peer));
        const peerTps = tps.filter((_, i) => CONFIGS[i].peer);
        const ratio = peerTps.length ? `${(oursBest / Math.max(...peerTps)).toFixed(2)}×` : "-";
        console.log(
          `${preset.padEnd(15)} ${String(t).padStart(5)} ${String(batch).padStart(5)} ${tps.map((x) => x.toFixed(1).padStart(15)).join("")}   ${ratio.padStart(22)}   ${rss.map((x) => x.toFixed(0)).join(" / ")}`,
        );
        // The spread over the rounds says how much of the machine each run got.
        spreads.push(`${preset} T=${t} batch ${batch}: ${CONFIGS.map((c, i) => `${c.name} ${runs[i].map((x) => x.tokensPerSecond.toFixed(1)).join(", ")}`).join("; ")}`);
        // Where our bf16 step's time goes (the round with the median speed).
        const bf = runs[1];
        const mid = bf.find((x) => x.tokensPerSecond === tps[1]) ?? bf[0];
        const ops = mid.perOp ?? {};
        profiles.push(
          `${preset} T=${t} batch ${batch}, ours bf16: ${mid.secondsPerStep.toFixed(2)} s/step = ` +
            ["gemm-base", "gemm-lora", "attention", "loss", "rest"].map((k) => `${k} ${(ops[k] ?? 0).toFixed(2)}`).join(" + ") +
            `; minor page faults/step ${runs.map((rs, i) => (CONFIGS[i].peer ? undefined : `${CONFIGS[i].name} ${median(rs.map((x) => x.minorFaultsPerStep ?? 0)).toFixed(0)}`)).filter(Boolean).join(", ")}` +
            `; step arena high-water MiB ${runs.map((rs, i) => (rs[0]?.arenaPeakMiB === undefined ? undefined : `${CONFIGS[i].name} ${median(rs.map((x) => x.arenaPeakMiB ?? 0)).toFixed(0)}`)).filter(Boolean).join(", ")}`,
        );
      }
    }
  }
  console.log(profiles.join("\n"));
  console.log(`tokens/s of each round:\n${spreads.join("\n")}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
