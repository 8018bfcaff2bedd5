// What the bf16 compute mode costs in accuracy over a real fine-tune: the same run (model, data, seed, steps) in
// f32 and with `bf16: true`, loss logged every step, compared step by step.
//
//   npm run bench -- bf16-accuracy [--steps N] [--config FILE]
//
// Without --config it builds the demo (`loraforge demo`: SmolLM2-135M-Instruct when its GGUF is cached, else a
// random-initialized llama-shaped model, and the JSON-extraction records) and fine-tunes that; --config runs any
// training config instead (its own model and data).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name: string, fallback?: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = Number(option("--steps", "300"));
const cli = (args: string[]) =>
  execFileSync(process.execPath, ["--import", "tsx", path.join(root, "bench/bf16-accuracy/cli.ts"), ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });

interface Logged {
  type: string;
  step: number;
  loss?: number;
  val_loss?: number;
  tokens_per_second?: number;
}

interface Curve {
  losses: Map<number, number>;
  vals: Map<number, number>;
  tokensPerSecond: number;
}

// Mean loss over the `window` steps ending at `step` (single-step losses of batch 4 are noisy, and two runs that
// round differently follow different but equally good paths, so curves are compared window by window).
function windowMean(m: Map<number, number>, step: number, window: number): number {
  let sum = 0;
  let n = 0;
  for (let s = step - window + 1; s <= step; s++) {
    const v = m.get(s);
    if (v !== undefined) [sum, n] = [sum + v, n + 1];
  }
  return sum / n;
}

function run(config: string, out: string, compute: "f32" | "bf16"): Curve {
  const dir = path.join(out, `run-${compute}`);
  cli(["train", config, "--overwrite", "--output_dir", dir, "--max_steps", String(steps), "--logging_steps", "1", "--eval_steps", String(Math.max(1, Math.floor(steps / 6))), "--compute_dtype", compute]);
  const rows = fs
    .readFileSync(path.join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Logged);
  const train = rows.filter((r) => r.type === "train");
  const evals = rows.filter((r) => r.type === "eval");
  const speeds = train.map((r) => r.tokens_per_second ?? 0).sort((a, b) => a - b);
  return {
    losses: new Map(train.map((r) => [r.step, r.loss ?? NaN])),
    vals: new Map(evals.map((r) => [r.step, r.val_loss ?? NaN])),
    tokensPerSecond: speeds[Math.floor(speeds.length / 2)],
  };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-bf16-acc-"));
try {
  let config = option("--config");
  if (!config) {
    cli(["demo", "--out", path.join(work, "demo"), "--train-records", "1200", "--test-records", "4", "--max-steps", "1", "--minutes", "60"]);
    config = path.join(work, "demo", "config.yaml");
  }
  const f32 = run(config, work, "f32");
  const bf16 = run(config, work, "bf16");
  const window = 20;
  let worstWindow = 0;
  let worstWindowStep = 0;
  for (let step = window; step <= steps; step += window) {
    const a = windowMean(f32.losses, step, window);
    const d = Math.abs(windowMean(bf16.losses, step, window) - a) / a;
    if (d > worstWindow) [worstWindow, worstWindowStep] = [d, step];
  }
  let worstVal = 0;
  for (const [step, a] of f32.vals) worstVal = Math.max(worstVal, Math.abs((bf16.vals.get(step) ?? NaN) - a) / a);
  const fmt = (m: Map<number, number>, s: number) => (m.get(s) ?? NaN).toFixed(4);
  const model = /^model:\s*(\S+)/m.exec(fs.readFileSync(config, "utf8"))?.[1] ?? "?";
  console.log(`bf16 compute vs f32, ${steps} steps, loss logged every step (${option("--config") ?? "the demo"}; model ${model})`);
  console.log(`step-1 loss (same weights, only the rounding differs): f32 ${fmt(f32.losses, 1)}, bf16 ${fmt(bf16.losses, 1)}`);
  console.log(`${window}-step mean loss, worst relative gap: ${(100 * worstWindow).toFixed(2)}% (window ending at step ${worstWindowStep}: f32 ${windowMean(f32.losses, worstWindowStep, window).toFixed(4)}, bf16 ${windowMean(bf16.losses, worstWindowStep, window).toFixed(4)})`);
  console.log(`last ${window} steps: f32 ${windowMean(f32.losses, steps, window).toFixed(4)}, bf16 ${windowMean(bf16.losses, steps, window).toFixed(4)}`);
  console.log(`validation loss: ${[...f32.vals.keys()].map((s) => `step ${s} f32 ${fmt(f32.vals, s)} / bf16 ${fmt(bf16.vals, s)}`).join("; ")}`);
  console.log(`validation loss, worst relative gap: ${(100 * worstVal).toFixed(2)}%`);
  console.log(`median tok/s (noisy, for scale only): f32 ${f32.tokensPerSecond.toFixed(0)}, bf16 ${bf16.tokensPerSecond.toFixed(0)}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
