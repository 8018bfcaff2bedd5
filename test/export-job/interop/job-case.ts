import fs from "node:fs";
import path from "node:path";
import { writePreparedJsonl } from "../../../src/data/index.js";
import { writeConfig } from "../../train/helpers.js";
import { caseRecords, TRL_CASE } from "../../train/interop/trl-case.js";

/**
 * The export-job interop case: the TRL interop case (test/train/interop/trl-case.ts: 20 steps, 2 micro-batches of
 * 2 rows, records in file order) written as a config file, exported with --gpus 2, so the job runs 2 processes ×
 * per_device_train_batch_size 2 × gradient_accumulation_steps 1: the same 4 rows per optimizer step.
 */
export const JOB_GPUS = 2;

/** Writes WORK/data/train.jsonl (the case's records) and WORK/config.yaml over WORK/model; returns the config path. */
export function writeJobCase(work: string): string {
  fs.mkdirSync(path.join(work, "data"), { recursive: true });
  writePreparedJsonl(path.join(work, "data", "train.jsonl"), caseRecords());
  return writeConfig(work, "config.yaml", {
    model: "model",
    dtype: "f32",
    data: { train: "data/train.jsonl", val_fraction: 0 },
    lora: { r: TRL_CASE.r, lora_alpha: TRL_CASE.loraAlpha, lora_dropout: 0 },
    ...TRL_CASE.train,
    optim: "adamw",
    packing: false,
    train_sampling_strategy: "sequential",
    max_seq_length: 64,
    save_steps: 1000,
    logging_steps: 1,
    seed: TRL_CASE.trainSeed,
    output_dir: "ours",
  });
}

/**
 * The QLoRA variant the strategy checks export (bf16 base in nf4, a validation split with early stopping): a config
 * that exercises every part of accelerate_config.yaml and job.json a GPU run would read, over 2 nodes × 2 GPUs.
 */
export const STRATEGY_CHECK = { gpus: 2, nodes: 2 } as const;

export function writeQloraCase(work: string): string {
  const base = writeJobCase(work);
  return writeConfig(work, "qlora.yaml", {
    model: "model",
    dtype: "bf16",
    quantization: "nf4",
    data: { train: "data/train.jsonl", val_fraction: 0.2 },
    lora: { r: TRL_CASE.r, lora_alpha: TRL_CASE.loraAlpha, lora_dropout: 0.05 },
    ...TRL_CASE.train,
    eval_steps: 5,
    save_steps: 5,
    early_stopping_patience: 2,
    output_dir: path.relative(work, path.join(path.dirname(base), "qlora-run")),
  });
}
