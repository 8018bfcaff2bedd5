// LoRA training-step benchmark: one step (forward, backward into the adapters, AdamW) with r = 16 on all seven
// projections, 512-token rows, batch 1 and 4, every token trained, on random-initialized smollm2-135m and
// qwen2.5-0.5b folders and on the real SmolLM2-135M-Instruct (`smollm2-real`: its GGUF imported to a bf16 folder,
// 49,152-token vocabulary); loraforge beside transformers + peft (CPU torch, sdpa attention) from the same run,
// both with 2 threads and OMP_WAIT_POLICY=PASSIVE, each in its own process (peak RSS is per process).
//
//   npm run bench -- train-step [--steps N] [--presets smollm2-135m,qwen2.5-0.5b,smollm2-real] [--batches 1,4] [--no-peer]
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
const presets = option("--presets", "smollm2-135m,qwen2.5-0.5b,smollm2-real").split(",");
const batches = option("--batches", "1,4").split(",").map(Number);
const noPeer = process.argv.includes("--no-peer");
const python = path.join(root, "interop", ".venv", "bin", "python");
const env = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", LORAFORGE_THREADS: "2", OMP_NUM_THREADS: "2" };

interface Result {
  tokensPerSecond: number;
  secondsPerStep: number;
  peakRssMiB: number;
  perOp?: Record<string, number>;
}

function measure(command: string, args: string[]): Result {
  const out = execFileSync(command, args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Result;
}

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
  console.log(`LoRA step, r=16, 7 projections, 512 tokens/row, 2 threads, ${steps} timed steps after 1 warm-up`);
  console.log("preset          batch  ours tok/s  peer tok/s  ratio  ours RSS MiB  peer RSS MiB  ours s/step: gemm / attention / loss / rest");
  for (const preset of presets) {
    const dir = path.join(work, preset);
    const vocabSize = writeModel(preset, dir);
    for (const batch of batches) {
      const rng = new Rng(batch);
      const ids = Array.from({ length: batch }, () => Array.from({ length: 512 }, () => rng.int(vocabSize)));
      const idsFile = path.join(work, `ids-${batch}.json`);
      fs.writeFileSync(idsFile, JSON.stringify(ids));
      const ours = measure(process.execPath, ["--import", "tsx", path.join(root, "bench/train-step/ours.ts"), dir, idsFile, steps]);
      const peer = noPeer ? undefined : measure(python, [path.join(root, "bench/train-step/peer.py"), dir, idsFile, steps]);
      const ops = ours.perOp ?? {};
      console.log(
        [
          preset.padEnd(15),
          String(batch).padStart(5),
          ours.tokensPerSecond.toFixed(0).padStart(11),
          (peer ? peer.tokensPerSecond.toFixed(0) : "-").padStart(11),
          (peer ? (ours.tokensPerSecond / peer.tokensPerSecond).toFixed(2) + "×" : "-").padStart(6),
          ours.peakRssMiB.toFixed(0).padStart(13),
          (peer ? peer.peakRssMiB.toFixed(0) : "-").padStart(13),
          `  ${ours.secondsPerStep.toFixed(2)}: ${["gemm", "attention", "loss", "rest"].map((k) => (ops[k] ?? 0).toFixed(2)).join(" / ")}`,
        ].join(" "),
      );
    }
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
