// SFT benchmark: one epoch of LoRA fine-tuning (r = 16 on all seven projections) of a random-initialized
// smollm2-135m folder on a synthetic prepared dataset of about 20k tokens — or, with `--base smollm2-real`, of the
// real SmolLM2-135M-Instruct (its GGUF imported to a bf16 folder) on the quickstart's JSON-extraction records
// prepared with its own tokenizer and ChatML template — loraforge beside TRL's SFTTrainer + PEFT
// on CPU torch from the same run, in float32 and in mixed precision (ours: the bf16 compute mode; TRL: `bf16=True`,
// torch.autocast). Same data (prompt masked, answer trained), LoRA config, schedule, batch size and
// seed; both with 2 threads and OMP_WAIT_POLICY=PASSIVE, each in its own process. Reports the training time (the
// loop alone), the process wall time (load, train, final validation), the final validation loss (Σ CE over the
// validation records' counted targets / their count, computed the same way on both sides) and the ratios.
//
//   npm run bench -- sft [--base random|smollm2-real] [--records N] [--threads N] [--precisions f32,bf16] [--no-peer]
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PRETRAINED_KEYS, generateDataset, writeDataset as writeDemoDataset } from "../../src/demo/dataset.js";
import { findSmolLM2 } from "../../src/demo/smollm2.js";
import { prepareDataset } from "../../src/data/index.js";
import { importGguf } from "../../src/gguf/index.js";
import { planInitModel, writeInitModel } from "../../src/model/index.js";
import { Rng } from "../../src/util/rng.js";
import type { BenchSettings } from "./settings.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const trainRecords = Number(option("--records", "400"));
const baseName = option("--base", "random");
const threads = Number(option("--threads", "2"));
const noPeer = process.argv.includes("--no-peer");
const precisions = option("--precisions", "f32,bf16").split(",") as ("f32" | "bf16")[];
const python = path.join(root, "interop", ".venv", "bin", "python");
const env = {
  ...process.env,
  OMP_WAIT_POLICY: "PASSIVE",
  OMP_NUM_THREADS: String(threads),
  MKL_NUM_THREADS: String(threads),
  LORAFORGE_THREADS: String(threads),
  TOKENIZERS_PARALLELISM: "false",
  // Keep the peer's stderr to its training log lines.
  PYTHONWARNINGS: "ignore",
  HF_DATASETS_DISABLE_PROGRESS_BARS: "1",
  TRANSFORMERS_VERBOSITY: "error",
  TRANSFORMERS_NO_ADVISORY_WARNINGS: "1",
};

interface Result {
  trainSeconds: number;
  processSeconds: number;
  valLoss: number;
  steps: number;
  peakRssMiB: number;
  wallSeconds?: number;
}

/**
 * Records that teach a fixed mapping: BOS, a prompt of 8–40 tokens from a 500-token range (not trained), then its
 * tokens mapped through a fixed table in reverse order and EOS (trained). About 50 tokens each.
 */
function writeDataset(dir: string, train: number, val: number): { tokens: number; targets: number } {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(17);
  let tokens = 0;
  let targets = 0;
  const record = (counted: boolean) => {
    const prompt = Array.from({ length: 8 + rng.int(33) }, () => 1000 + rng.int(500));
    const answer = [...prompt].reverse().map((t) => 20000 + ((t * 37) % 500));
    const ids = [1, ...prompt, ...answer, 2];
    if (counted) {
      tokens += ids.length;
      targets += answer.length + 1;
    }
    return JSON.stringify({ input_ids: ids, labels: [-100, ...prompt.map(() => -100), ...answer, 2] });
  };
  const lines = (n: number, counted: boolean) => Array.from({ length: n }, () => record(counted)).join("\n") + "\n";
  fs.writeFileSync(path.join(dir, "train.jsonl"), lines(train, true));
  fs.writeFileSync(path.join(dir, "val.jsonl"), lines(val, false));
  return { tokens, targets };
}

/** The quickstart's records (8-key JSON answers) prepared for the real model; counts from the prepared train split. */
async function writeRealDataset(dir: string, model: string, records: number): Promise<{ tokens: number; targets: number }> {
  const raw = writeDemoDataset(path.join(dir, "raw"), generateDataset({ seed: 0, trainRecords: records, testRecords: 1 }), PRETRAINED_KEYS);
  await prepareDataset([raw.train], { modelDir: model, outDir: dir, valFraction: 0.1, seed: 0, maxSeqLength: 256, force: true });
  let tokens = 0;
  let targets = 0;
  for (const line of fs.readFileSync(path.join(dir, "train.jsonl"), "utf8").split("\n").filter(Boolean)) {
    const r = JSON.parse(line) as { input_ids: number[]; labels: number[] };
    tokens += r.input_ids.length;
    targets += r.labels.filter((l) => l !== -100).length;
  }
  return { tokens, targets };
}

function measure(command: string, args: string[]): Result {
  const start = performance.now();
  const out = execFileSync(command, args, { cwd: root, env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
  const result = JSON.parse(out.trim().split("\n").pop() ?? "{}") as Result;
  return { ...result, wallSeconds: (performance.now() - start) / 1000 };
}

function peerAvailable(): string | undefined {
  if (noPeer) return "--no-peer";
  if (!fs.existsSync(python)) return `${path.relative(root, python)} is missing (bash interop/setup.sh)`;
  const probe = spawnSync(python, ["-c", "import trl, peft, transformers, torch; print(trl.__version__, torch.__version__)"], { encoding: "utf8", env });
  if (probe.status !== 0) return `the interop venv has no trl (bash interop/setup.sh installs interop/requirements.txt)`;
  console.log(`peer: trl ${probe.stdout.trim().replace(" ", ", torch ")}`);
  return undefined;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-bench-sft-"));
try {
  const model = path.join(work, "model");
  const data = path.join(work, "data");
  const real = baseName === "smollm2-real";
  if (real) {
    const file = findSmolLM2();
    if (!file) throw new Error("--base smollm2-real needs the real model: npm run fetch-models");
    importGguf(file, model, { dtype: "bf16" });
  } else writeInitModel(model, planInitModel({ preset: "smollm2-135m", seed: 0 }));
  const { tokens, targets } = real ? await writeRealDataset(data, model, trainRecords) : writeDataset(data, trainRecords, Math.max(8, Math.round(trainRecords / 10)));
  const batchSize = 8;
  const steps = Math.ceil(trainRecords / batchSize);
  const base: Omit<BenchSettings, "output_dir" | "bf16"> = {
    model,
    data,
    dtype: "bf16",
    lora: { r: 16, lora_alpha: 32, lora_dropout: 0.05 },
    learning_rate: 5e-4,
    lr_scheduler_type: "linear",
    warmup_steps: Math.ceil(steps * 0.1),
    batch_size: batchSize,
    eval_batch_size: 8,
    gradient_accumulation_steps: 1,
    max_seq_length: 256,
    weight_decay: 0,
    max_grad_norm: 1,
    seed: 42,
    threads,
    pad_id: real ? 2 : 0, // SmolLM2's <|im_end|> is its pad token
  };
  const settingsFile = (name: string, precision: "f32" | "bf16") => {
    const file = path.join(work, `${name}-${precision}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...base, bf16: precision === "bf16", output_dir: path.join(work, `out-${name}-${precision}`) } satisfies BenchSettings));
    return file;
  };
  console.log(
    `SFT, one epoch: ${real ? "SmolLM2-135M-Instruct (real, from its GGUF), quickstart data" : "smollm2-135m (random init)"}, ${trainRecords} records / ${tokens} tokens (${targets} trained), ` +
      `batch ${batchSize}, ${steps} steps, LoRA r=16 all-linear, AdamW lr 5e-4 linear (warmup ${base.warmup_steps}), ${threads} threads`,
  );
  const skip = peerAvailable();
  const row = (name: string, r: Result) =>
    `${name.padEnd(44)} ${r.trainSeconds.toFixed(1).padStart(8)} ${(tokens / r.trainSeconds).toFixed(0).padStart(9)} ` +
    `${r.wallSeconds!.toFixed(1).padStart(8)} ${r.valLoss.toFixed(4).padStart(9)} ${String(r.steps).padStart(6)} ${r.peakRssMiB.toFixed(0).padStart(9)}`;
  console.log(`${"".padEnd(44)} ${"train s".padStart(8)} ${"tok/s".padStart(9)} ${"wall s".padStart(8)} ${"val loss".padStart(9)} ${"steps".padStart(6)} ${"RSS MiB".padStart(9)}`);
  for (const precision of precisions) {
    const ours = measure(process.execPath, ["--import", "tsx", path.join(root, "bench/sft/ours.ts"), settingsFile("ours", precision)]);
    console.log(row(`loraforge (base ${base.dtype}, ${precision === "bf16" ? "bf16 compute" : "f32 compute"})`, ours));
    if (skip) continue;
    const peer = measure(python, [path.join(root, "bench/sft/peer.py"), settingsFile("peer", precision)]);
    console.log(row(`TRL SFTTrainer + PEFT (${precision === "bf16" ? "bf16=True, autocast" : "float32"}, sdpa)`, peer));
    console.log(
      `  ${precision}: ratio (TRL time / ours) training ${(peer.trainSeconds / ours.trainSeconds).toFixed(2)}×, ` +
        `wall ${(peer.wallSeconds! / ours.wallSeconds!).toFixed(2)}×; validation loss ours − TRL ${(ours.valLoss - peer.valLoss).toFixed(4)}`,
    );
  }
  if (skip) console.log(`peer skipped: ${skip}`);
  console.log("timings from a shared machine are noisy: re-run before trusting a ratio");
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
