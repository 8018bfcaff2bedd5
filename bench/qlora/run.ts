// QLoRA benchmark: for each preset, bytes per parameter of the stored 4-bit projections, peak RSS and tokens/s
// of one training step (batch 1, 512 tokens, gradient checkpointing on, r = 16 on all projections) for a bf16
// LoRA base vs an NF4 (double-quantized) base, each in its own process; then NF4 fused GEMM vs our f32 GEMM.
//   npm run bench -- qlora [--presets qwen2.5-0.5b,llama3.2-1b] [--seq 512] [--quick]
// Targets (issue 7): ≤ 0.53 bytes/param, QLoRA peak ≤ 0.7× LoRA, NF4 GEMM ≥ 0.8× f32 at M=512, faster at M=1.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { planInitModel, writeInitModel } from "../../src/model/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const presets = option("--presets", "qwen2.5-0.5b,llama3.2-1b").split(",");
const seq = option("--seq", "512");
const work = option("--models", path.join(os.tmpdir(), "loraforge-qlora-models"));
const env = { ...process.env, LORAFORGE_THREADS: process.env.LORAFORGE_THREADS ?? "2" };

interface Step {
  peakRssMiB: number;
  tokensPerSecond: number;
  bytesPerLinearParam: number;
  linearBytes: number;
  linearParams: number;
}

function step(dir: string, method: "lora" | "qlora"): Step {
  const out = execFileSync(process.execPath, ["--import", "tsx", "bench/qlora/step.ts", dir, method, "1", seq, "1", "1"], { cwd: root, env, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop()!) as Step;
}

for (const preset of presets) {
  const dir = path.join(work, preset);
  if (!fs.existsSync(dir)) writeInitModel(dir, planInitModel({ preset, seed: 1 }));
  const lora = step(dir, "lora");
  const qlora = step(dir, "qlora");
  console.log(
    JSON.stringify({
      preset,
      seq: Number(seq),
      nf4_bytes_per_param: +qlora.bytesPerLinearParam.toFixed(4),
      bf16_bytes_per_param: lora.bytesPerLinearParam,
      lora_peak_rss_mib: Math.round(lora.peakRssMiB),
      qlora_peak_rss_mib: Math.round(qlora.peakRssMiB),
      peak_ratio: +(qlora.peakRssMiB / lora.peakRssMiB).toFixed(3),
      lora_tokens_per_s: +lora.tokensPerSecond.toFixed(1),
      qlora_tokens_per_s: +qlora.tokensPerSecond.toFixed(1),
    }),
  );
}
execFileSync(process.execPath, ["--import", "tsx", "bench/qlora/gemm.ts", ...(process.argv.includes("--quick") ? ["--quick"] : [])], { cwd: root, env, stdio: "inherit" });
