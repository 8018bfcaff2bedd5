// Our side of bench/sft: one epoch of `loraforge train` in process (openSession + runTraining, as the training
// worker runs them), with the same settings the peer gets.
//
//   node --import tsx bench/sft/ours.ts SETTINGS.json   → one JSON line: train/process seconds, final validation loss
import fs from "node:fs";
import { trainConfigSchema } from "../../src/train/config-schema.js";
import { openSession } from "../../src/train/session.js";
import { runTraining } from "../../src/train/trainer.js";
import type { BenchSettings } from "./settings.js";

const started = performance.now();
const s = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as BenchSettings;
const config = trainConfigSchema.parse({
  model: s.model,
  dtype: s.dtype,
  bf16: s.bf16,
  data: { train: s.data },
  lora: { ...s.lora, target_modules: "all-linear" },
  learning_rate: s.learning_rate,
  lr_scheduler_type: s.lr_scheduler_type,
  warmup_steps: s.warmup_steps,
  num_train_epochs: 1,
  batch_size: s.batch_size,
  eval_batch_size: s.eval_batch_size,
  gradient_accumulation_steps: s.gradient_accumulation_steps,
  max_seq_length: s.max_seq_length,
  weight_decay: s.weight_decay,
  max_grad_norm: s.max_grad_norm,
  optim: "adamw",
  save_steps: 1_000_000,
  seed: s.seed,
  output_dir: s.output_dir,
});
const session = await openSession(config);
const loadSeconds = (performance.now() - started) / 1000;
const t = performance.now();
let lastStep = t;
let valLoss = NaN;
let evalSeconds = 0;
const result = runTraining(
  { ...session, config },
  {
    onStep: (e) => {
      lastStep = performance.now();
      if (e.step % 10 === 0) process.stderr.write(`  ours: step ${e.step}/${e.totalSteps}, loss ${e.loss.toFixed(4)}, ${((lastStep - t) / 1000).toFixed(0)} s\n`);
    },
    onEval: (e) => {
      valLoss = e.valLoss;
      evalSeconds = (performance.now() - lastStep) / 1000;
    },
  },
);
console.log(
  JSON.stringify({
    trainSeconds: (lastStep - t) / 1000,
    evalSeconds,
    loadSeconds,
    processSeconds: (performance.now() - started) / 1000,
    valLoss,
    steps: result.globalStep,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
