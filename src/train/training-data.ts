import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { heldOutIndices, isPreparedFile, isPreparedFolder, prepareDataset, readPreparedFile } from "../data/index.js";
import { ConfigError } from "../util/errors.js";
import type { TrainRecord } from "./batches.js";
import type { TrainConfig } from "./config-schema.js";

export interface TrainingData {
  train: TrainRecord[];
  validation: TrainRecord[];
}

function readSplit(source: string, which: "train" | "val", vocabSize: number): Promise<TrainRecord[]> {
  return readPreparedFile(isPreparedFolder(source) ? path.join(source, `${which}.jsonl`) : source, vocabSize);
}

/** Raw dataset files go through the data pipeline (cached) into `outDir`, a prepared folder. */
async function prepareRaw(config: TrainConfig, files: string[], outDir: string): Promise<void> {
  await prepareDataset(files, {
    modelDir: config.model,
    outDir,
    format: config.data.format === "auto" ? undefined : config.data.format,
    chatTemplate: config.data.chat_template,
    trainOn: config.data.train_on,
    maxSeqLength: config.max_seq_length,
    truncation: config.data.truncation,
    skipInvalid: config.data.skip_invalid,
    skipInvalidSwitch: "set data.skip_invalid: true",
    assistantFirst: config.data.assistant_first,
    valFile: config.data.validation,
    valFraction: config.data.validation ? undefined : config.data.val_fraction,
    seed: config.seed,
  });
}

/** Records of prepared sources: one prepared folder brings its own split; files are split by heldOutIndices. */
async function readPrepared(config: TrainConfig, sources: string[], validationSource: string | undefined, vocabSize: number): Promise<TrainingData> {
  const train = (await Promise.all(sources.map((s) => readSplit(s, "train", vocabSize)))).flat();
  if (train.length === 0) throw new ConfigError(`no training records in ${sources.join(", ")}`);
  if (validationSource) return { train, validation: await readSplit(validationSource, "val", vocabSize) };
  if (sources.length === 1 && isPreparedFolder(sources[0])) return { train, validation: await readSplit(sources[0], "val", vocabSize) };
  const held = heldOutIndices(train.length, { valFraction: config.data.val_fraction, seed: config.seed });
  return { train: train.filter((_, i) => !held.has(i)), validation: train.filter((_, i) => held.has(i)) };
}

/**
 * The run's tokenized training and validation records. Raw files are prepared into `preparedDir` (default
 * output_dir/data) first — or, for a dry run (which writes nothing), into a temporary folder removed afterwards.
 */
export async function loadTrainingData(config: TrainConfig, vocabSize: number, options: { dryRun?: boolean; preparedDir?: string } = {}): Promise<TrainingData> {
  const given = Array.isArray(config.data.train) ? config.data.train : [config.data.train];
  const raw = given.filter((s) => !isPreparedFolder(s) && !isPreparedFile(s));
  if (raw.length === 0) return readPrepared(config, given, config.data.validation, vocabSize);
  if (raw.length !== given.length) {
    throw new ConfigError("data.train mixes raw dataset files with prepared ones; give one kind", { hint: `raw: ${raw.join(", ")}` });
  }
  if (!options.dryRun) {
    const outDir = options.preparedDir ?? path.join(config.output_dir, "data");
    await prepareRaw(config, given, outDir);
    return readPrepared(config, [outDir], undefined, vocabSize);
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-dry-run-"));
  try {
    await prepareRaw(config, given, scratch);
    return await readPrepared(config, [scratch], undefined, vocabSize);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
