import type { LoraAdapter } from "../lora/index.js";
import type { Model } from "../model/index.js";
import type { TrainRecord } from "./batches.js";
import { loadBaseModel } from "./base-model.js";
import type { TrainConfig } from "./config-schema.js";
import { buildRunAdapter } from "./run-adapter.js";
import { hashRun } from "./run-hash.js";
import { loadTrainingData } from "./training-data.js";
import type { TrainResult } from "./trainer.js";
import { plannedSteps } from "./trainer.js";
import { truncateRecords } from "./truncate-records.js";

/** Everything a run needs in memory: model with its adapter attached, and the tokenized data. */
export interface TrainSession {
  model: Model;
  adapter: LoraAdapter;
  train: TrainRecord[];
  validation: TrainRecord[];
  runHash: string;
  truncated: number;
}

export interface TrainPlan {
  totalSteps: number;
  trainRecords: number;
  validationRecords: number;
  trainTokens: number;
  trainedTargets: number;
  trainableParameters: number;
  truncated: number;
}

/**
 * The run's records as training sees them — raw files prepared (into `options.preparedDir`, default
 * output_dir/data; nowhere lasting with `dryRun`), the validation split made, over-long rows truncated — without
 * loading the model.
 */
export async function readTrainData(
  config: TrainConfig,
  vocabSize: number,
  options: { dryRun?: boolean; preparedDir?: string } = {},
): Promise<{ train: TrainRecord[]; validation: TrainRecord[]; truncated: number }> {
  const data = await loadTrainingData(config, vocabSize, options);
  const train = truncateRecords(data.train, config);
  const validation = truncateRecords(data.validation, config);
  return { train: train.kept, validation: validation.kept, truncated: train.truncated + validation.truncated };
}

/**
 * Loads the model, reads the data (preparing raw files first), truncates it and builds the adapter. With `dryRun`
 * nothing is written (the plan of `train --dry-run`).
 */
export async function openSession(config: TrainConfig, options: { dryRun?: boolean } = {}): Promise<TrainSession> {
  const model = loadBaseModel(config);
  const data = await readTrainData(config, model.config.vocabSize, options);
  const adapter = buildRunAdapter(config, model);
  return { model, adapter, ...data, runHash: hashRun(config, data.train, data.validation) };
}

export function describePlan(config: TrainConfig, session: TrainSession): TrainPlan {
  let tokens = 0;
  let targets = 0;
  for (const r of session.train) {
    tokens += r.inputIds.length;
    for (let i = 1; i < r.labels.length; i++) if (r.labels[i] !== -100) targets++;
  }
  return {
    totalSteps: plannedSteps(config, session.train).total,
    trainRecords: session.train.length,
    validationRecords: session.validation.length,
    trainTokens: tokens,
    trainedTargets: targets,
    trainableParameters: session.adapter.size,
    truncated: session.truncated,
  };
}

export type { TrainResult };
