import fs from "node:fs";
import path from "node:path";
import type { LoraAdapter } from "../../../src/lora/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig, saveAdapter } from "../../../src/lora/index.js";
import type { Model } from "../../../src/model/index.js";
import { loadModel, planInitModel, writeInitModel } from "../../../src/model/index.js";
import type { TrainRecord } from "../../../src/train/batches.js";
import { batchingOptions, runTraining } from "../../../src/train/trainer.js";
import type { StepEvent } from "../../../src/train/trainer.js";
import { epochOrder, planEpoch } from "../../../src/train/batches.js";
import type { TrainConfig } from "../../../src/train/config-schema.js";
import { trainConfigSchema } from "../../../src/train/config-schema.js";
import { Rng } from "../../../src/util/rng.js";

/**
 * The TRL interop case, shared by interop/steps/30_trl_sft.py (through trl-driver.ts) and the golden re-check in
 * npm test: a random `tiny` llama folder with a 128-token vocabulary, a seeded LoRA adapter on all seven projections
 * with B ≠ 0 and dropout 0, and 80 records (prompt masked, answer trained) taken in file order: 20 optimizer steps
 * of 2 micro-batches of 2 rows, AdamW with weight decay, linear schedule with 4 warmup steps, clipping at 1.
 */
export const TRL_CASE = {
  preset: "tiny",
  vocabSize: 128,
  modelSeed: 3,
  adapterSeed: 11,
  dataSeed: 5,
  records: 80,
  r: 8,
  loraAlpha: 16,
  trainSeed: 42,
  padId: 0,
  train: {
    learning_rate: 0.005,
    lr_scheduler_type: "linear",
    warmup_steps: 4,
    max_steps: 20,
    batch_size: 2,
    gradient_accumulation_steps: 2,
    max_grad_norm: 1,
    weight_decay: 0.01,
    adam_beta1: 0.9,
    adam_beta2: 0.999,
    adam_epsilon: 1e-8,
  },
} as const;

/**
 * The records in training order. Each is BOS, a prompt of 3–12 tokens (not trained), an answer that maps each
 * prompt token t to (t·7 + 3) mod 120 + 4 in reverse order, and EOS (trained): lengths differ, so rows are padded.
 */
export function caseRecords(): TrainRecord[] {
  const rng = new Rng(TRL_CASE.dataSeed);
  return Array.from({ length: TRL_CASE.records }, () => {
    const prompt = Array.from({ length: 3 + rng.int(10) }, () => 4 + rng.int(120));
    const answer = [...prompt].reverse().map((t) => ((t * 7 + 3) % 120) + 4);
    const ids = [1, ...prompt, ...answer, 2];
    const labels = [-100, ...prompt.map(() => -100), ...answer, 2];
    return { inputIds: Int32Array.from(ids), labels: Int32Array.from(labels) };
  });
}

export function makeCaseModel(dir: string): void {
  const plan = planInitModel({ preset: TRL_CASE.preset, vocabSize: TRL_CASE.vocabSize, seed: TRL_CASE.modelSeed });
  writeInitModel(dir, plan, { overwrite: true });
}

/** The starting adapter: PEFT's init_lora_weights=False shapes (A kaiming-uniform, B uniform ±1/√r), dropout 0. */
export function initialAdapter(model: Model): LoraAdapter {
  const config = loraConfig({ r: TRL_CASE.r, loraAlpha: TRL_CASE.loraAlpha, loraDropout: 0, targetModules: "all-linear", initLoraWeights: false });
  return buildLoraAdapter(model, config, { seed: TRL_CASE.adapterSeed });
}

export function caseConfig(modelDir: string, outputDir: string): TrainConfig {
  return trainConfigSchema.parse({
    model: modelDir,
    dtype: "f32",
    data: { train: "(in memory)", val_fraction: 0 },
    lora: { r: TRL_CASE.r, lora_alpha: TRL_CASE.loraAlpha, lora_dropout: 0 },
    ...TRL_CASE.train,
    optim: "adamw",
    packing: false,
    max_seq_length: 64,
    save_steps: 1000,
    seed: TRL_CASE.trainSeed,
    output_dir: outputDir,
  });
}

/**
 * runTraining has no switch to turn shuffling off, so the records are handed to it permuted such that its seeded
 * shuffle of epoch 0 puts them back in file order: record k lands at position k of the epoch.
 */
export function inShuffleOrder(records: readonly TrainRecord[], seed: number): TrainRecord[] {
  const order = epochOrder(records.length, seed, 0);
  const out = new Array<TrainRecord>(records.length);
  order.forEach((index, position) => (out[index] = records[position]));
  return out;
}

export interface OursResult {
  steps: StepEvent[];
  /** The trained adapter, and copies of the initial A/B values by module path. */
  adapter: LoraAdapter;
  initial: Map<string, { A: Float32Array; B: Float32Array }>;
  adapterDir: string;
}

/** Our side: loads the folder, saves the initial adapter (when asked) and runs runTraining for 20 steps. */
export function runOurs(modelDir: string, outputDir: string, options: { saveInitialTo?: string } = {}): OursResult {
  const model = loadModel(modelDir, { dtype: "f32" });
  const adapter = initialAdapter(model);
  const initial = new Map([...adapter.modules].map(([p, m]) => [p, { A: Float32Array.from(m.a.data), B: Float32Array.from(m.b.data) }]));
  if (options.saveInitialTo) saveAdapter(adapter, options.saveInitialTo, { baseModelNameOrPath: modelDir });
  attachAdapter(model, adapter);
  const config = caseConfig(modelDir, outputDir);
  const records = caseRecords();
  const train = inShuffleOrder(records, config.seed);
  // The plan runTraining will follow must be the file order in consecutive micro-batches.
  const plan = planEpoch(train, config.seed, 0, batchingOptions(config)).flat();
  const planned = plan.map((b) => Array.from(b.inputIds));
  const expected = Array.from({ length: records.length / config.batch_size }, (_, i) =>
    records.slice(i * config.batch_size, (i + 1) * config.batch_size).flatMap((r) => Array.from(r.inputIds)),
  );
  if (JSON.stringify(planned) !== JSON.stringify(expected)) throw new Error("trl case: the batch plan is not the records' file order");
  fs.mkdirSync(outputDir, { recursive: true });
  const steps: StepEvent[] = [];
  const result = runTraining(
    { config, model, adapter, train, validation: [], runHash: "trl-interop" },
    { onStep: (e) => steps.push(e) },
  );
  if (steps.length !== TRL_CASE.train.max_steps) throw new Error(`trl case: ran ${steps.length} steps`);
  return { steps, adapter, initial, adapterDir: path.resolve(result.adapterDir) };
}
