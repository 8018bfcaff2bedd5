import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readJsonObject } from "../../formats/index.js";
import type { TrainConfig } from "../../train/index.js";
import { loadTrainConfig, readTrainData } from "../../train/index.js";
import { isPreparedFile, isPreparedFolder, writePreparedJsonl } from "../../data/index.js";
import { writeDirAtomic, writeFileAtomic } from "../../util/atomic-write.js";
import { ConfigError } from "../../util/errors.js";
import { packageVersion } from "../../util/package-info.js";
import type { BatchPlan } from "./batch-plan.js";
import { planBatch } from "./batch-plan.js";
import { mapConfig } from "./key-map.js";
import type { ModelSource } from "./model-source.js";
import { modelSource } from "./model-source.js";
import { readmeText, slurmScript } from "./readme.js";
import { requirementsText } from "./requirements.js";
import type { Strategy } from "./strategies.js";
import { accelerateConfig } from "./strategies.js";
import { TRAIN_PY } from "./train-script.js";

export const JOB_TARGETS = ["trl"] as const;

export interface ExportJobOptions {
  configFile: string;
  out: string;
  target?: string;
  gpus?: number;
  nodes?: number;
  strategy?: Strategy;
  overwrite?: boolean;
}

export interface ExportJobResult {
  out: string;
  files: string[];
  notes: string[];
  batch: BatchPlan;
  model: ModelSource;
  trainRecords: number;
  validationRecords: number;
}

function positiveCount(value: number, flag: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${flag} ${value}: expected a whole number ≥ 1`);
  return value;
}

/** Token ids must be checked against the embedding rows; a Hub base is not here, so its ids are taken as they are. */
function vocabSize(model: ModelSource, config: TrainConfig): number {
  if (model.kind === "hub") {
    const given = Array.isArray(config.data.train) ? config.data.train : [config.data.train];
    if (!given.every((s) => isPreparedFolder(s) || isPreparedFile(s))) {
      throw new ConfigError(`data.train is raw data and the base ${model.id} is a Hub id: preparing it needs the model's tokenizer here`, {
        hint: "download the model folder and point model: at it, or run `loraforge data prepare` and point data.train at the prepared folder",
      });
    }
    return Number.MAX_SAFE_INTEGER;
  }
  const vocab = readJsonObject(path.join(model.path, "config.json")).vocab_size;
  if (typeof vocab !== "number") throw new ConfigError(`${model.path}/config.json: no vocab_size`);
  return vocab;
}

/**
 * `loraforge export-job`: the config as a TRL + Accelerate job folder (docs/export-job.md). The data goes through
 * loraforge's own preparation, split and truncation, so the job trains on exactly the rows `loraforge train` would.
 */
export async function exportJob(options: ExportJobOptions): Promise<ExportJobResult> {
  const target = options.target ?? "trl";
  if (!(JOB_TARGETS as readonly string[]).includes(target)) throw new ConfigError(`--target ${target}: expected one of ${JOB_TARGETS.join(", ")}`);
  const gpus = positiveCount(options.gpus ?? 1, "--gpus");
  const nodes = positiveCount(options.nodes ?? 1, "--nodes");
  const strategy = options.strategy ?? "ddp";
  if (fs.existsSync(options.out) && fs.readdirSync(options.out).length > 0 && !options.overwrite) {
    throw new ConfigError(`--out ${options.out} exists and is not empty`, { hint: "choose another folder, or pass --overwrite to replace it" });
  }
  const config = loadTrainConfig(options.configFile);
  const model = modelSource(config.model, path.dirname(path.resolve(options.configFile)));
  const batch = planBatch(config.batch_size, config.gradient_accumulation_steps, gpus * nodes);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "loraforge-export-job-"));
  let data: Awaited<ReturnType<typeof readTrainData>>;
  try {
    data = await readTrainData(config, vocabSize(model, config), { preparedDir: path.join(scratch, "data") });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const { settings, notes } = mapConfig({ config, batch, strategy, hasValidation: data.validation.length > 0 });
  const job = {
    model_name_or_path: model.kind === "folder" ? model.path : model.id,
    ...settings,
    loraforge: { version: packageVersion(), config: path.resolve(options.configFile), strategy, gpus, nodes, notes },
  };
  const files: Record<string, string> = {
    "train.py": TRAIN_PY,
    "job.json": `${JSON.stringify(job, null, 2)}\n`,
    "accelerate_config.yaml": accelerateConfig(strategy, config, batch, nodes),
    "requirements.txt": requirementsText(config, strategy),
    "slurm.sh": slurmScript(gpus, nodes),
    "README.md": readmeText({
      configFile: options.configFile,
      model,
      strategy,
      gpus,
      nodes,
      batch,
      trainRecords: data.train.length,
      validationRecords: data.validation.length,
      notes,
    }),
  };
  writeDirAtomic(
    options.out,
    (dir) => {
      for (const [name, text] of Object.entries(files)) writeFileAtomic(path.join(dir, name), text);
      writePreparedJsonl(path.join(dir, "train.jsonl"), data.train);
      writePreparedJsonl(path.join(dir, "val.jsonl"), data.validation);
    },
    { replace: true },
  );
  return {
    out: options.out,
    files: [...Object.keys(files), "train.jsonl", "val.jsonl"].sort(),
    notes,
    batch,
    model,
    trainRecords: data.train.length,
    validationRecords: data.validation.length,
  };
}
