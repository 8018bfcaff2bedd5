import { createHash } from "node:crypto";
import path from "node:path";
import type { LoraAdapter } from "../lora/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../lora/index.js";
import type { Model } from "../model/index.js";
import { loadModel } from "../model/index.js";
import { ConfigError, LoraforgeError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import type { TrainRecord } from "./batches.js";
import type { TrainConfig } from "./config-schema.js";
import { emptyTruncationCounts, prepareDataset, truncate } from "../data/index.js";
import { isPreparedFile, isPreparedFolder, readPreparedFile } from "./prepared-data.js";
import type { TrainResult } from "./trainer.js";
import { plannedSteps } from "./trainer.js";

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

async function readRecords(source: string, which: "train" | "val", vocabSize: number): Promise<TrainRecord[]> {
  if (isPreparedFolder(source)) return readPreparedFile(path.join(source, `${which}.jsonl`), vocabSize);
  return readPreparedFile(source, vocabSize);
}

/**
 * Applies the data pipeline's truncation policy to records longer than max_seq_length (prepared data made with a
 * larger limit); returns how many were over the limit.
 */
function truncateRecords(records: TrainRecord[], config: TrainConfig): { kept: TrainRecord[]; truncated: number } {
  const counts = emptyTruncationCounts();
  const kept: TrainRecord[] = [];
  for (const r of records) {
    if (r.inputIds.length <= config.max_seq_length) {
      kept.push(r);
      continue;
    }
    const cut = truncate({ inputIds: Array.from(r.inputIds), labels: Array.from(r.labels) }, config.max_seq_length, config.data.truncation, new Set(), counts);
    if (cut) kept.push({ inputIds: Int32Array.from(cut.inputIds), labels: Int32Array.from(cut.labels) });
  }
  return { kept, truncated: counts.overLength };
}

/** Hash of the resolved config (minus output_dir) and every token of the data. */
function hashRun(config: TrainConfig, train: readonly TrainRecord[], validation: readonly TrainRecord[]): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ ...config, output_dir: undefined }));
  for (const r of [...train, ...validation]) {
    h.update(new Uint8Array(r.inputIds.buffer, r.inputIds.byteOffset, r.inputIds.byteLength));
    h.update(new Uint8Array(r.labels.buffer, r.labels.byteOffset, r.labels.byteLength));
  }
  return h.digest("hex").slice(0, 16);
}

/** Raw dataset files go through the data pipeline (cached) into output_dir/data, a prepared folder. */
async function preparedSources(config: TrainConfig, sources: string[]): Promise<{ sources: string[]; validation?: string }> {
  const raw = sources.filter((s) => !isPreparedFolder(s) && !isPreparedFile(s));
  if (raw.length === 0) return { sources, validation: config.data.validation };
  if (raw.length !== sources.length) {
    throw new ConfigError("data.train mixes raw dataset files with prepared ones; give one kind", { hint: `raw: ${raw.join(", ")}` });
  }
  const outDir = path.join(config.output_dir, "data");
  const prepare = prepareDataset(sources, {
    modelDir: config.model,
    outDir,
    format: config.data.format === "auto" ? undefined : config.data.format,
    chatTemplate: config.data.chat_template,
    trainOn: config.data.train_on,
    maxSeqLength: config.max_seq_length,
    truncation: config.data.truncation,
    skipInvalid: config.data.skip_invalid,
    assistantFirst: config.data.assistant_first,
    valFile: config.data.validation,
    valFraction: config.data.validation ? undefined : config.data.val_fraction,
    seed: config.seed,
  });
  // The pipeline's hints speak of `data prepare` flags; here the same switch is a config key.
  await prepare.catch((err: unknown) => {
    if (err instanceof LoraforgeError && err.hint?.includes("--skip-invalid")) {
      throw new LoraforgeError(err.message, { hint: "fix them, or set data.skip_invalid: true to leave them out (listed in output_dir/data/report.json)" });
    }
    throw err;
  });
  return { sources: [outDir] };
}

/** Loads the model, builds the adapter, reads (preparing raw files first) and splits the data. */
export async function openSession(config: TrainConfig): Promise<TrainSession> {
  const model = loadModel(config.model, { dtype: config.dtype, quantization: config.quantization });
  if (config.max_seq_length > model.config.maxPositionEmbeddings) {
    throw new ConfigError(
      `max_seq_length ${config.max_seq_length} is beyond the model's context (max_position_embeddings ${model.config.maxPositionEmbeddings})`,
    );
  }
  const vocab = model.config.vocabSize;
  const given = Array.isArray(config.data.train) ? config.data.train : [config.data.train];
  const { sources, validation: validationSource } = await preparedSources(config, given);
  let train = (await Promise.all(sources.map((s) => readRecords(s, "train", vocab)))).flat();
  let validation: TrainRecord[] = [];
  if (validationSource) validation = await readRecords(validationSource, "val", vocab);
  else if (sources.length === 1 && isPreparedFolder(sources[0])) validation = await readRecords(sources[0], "val", vocab);
  else if (config.data.val_fraction > 0) {
    const order = new Rng(config.seed).shuffle(train.map((_, i) => i));
    const n = Math.max(1, Math.round(train.length * config.data.val_fraction));
    const held = new Set(order.slice(0, n));
    validation = train.filter((_, i) => held.has(i));
    train = train.filter((_, i) => !held.has(i));
  }
  if (train.length === 0) throw new ConfigError(`no training records in ${sources.join(", ")}`);
  const t = truncateRecords(train, config);
  const v = truncateRecords(validation, config);
  const adapter = buildLoraAdapter(
    model,
    loraConfig({
      r: config.lora.r,
      loraAlpha: config.lora.lora_alpha,
      loraDropout: config.lora.lora_dropout,
      targetModules: config.lora.target_modules,
      useRslora: config.lora.use_rslora,
      baseModelNameOrPath: config.model,
    }),
    { seed: config.seed },
  );
  attachAdapter(model, adapter);
  return {
    model,
    adapter,
    train: t.kept,
    validation: v.kept,
    runHash: hashRun(config, t.kept, v.kept),
    truncated: t.truncated + v.truncated,
  };
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
