import fs from "node:fs";
import path from "node:path";

/** What a model card says about the run that made the adapter: settings, data, losses (from the run folder's files). */
export interface RunSummary {
  config: Record<string, unknown>;
  stoppedBy?: string;
  steps?: number;
  best?: { step: number; valLoss: number };
  finalValLoss?: { step: number; valLoss: number };
  finalTrainLoss?: { step: number; loss: number };
  data?: DataSummary;
}

/** From `data prepare`'s report.json. */
export interface DataSummary {
  files: Array<{ file: string; format?: string; rows: number }>;
  train: number;
  val: number;
  tokens?: number;
  trainedTokens?: number;
  exactDuplicates: number;
  nearDuplicates: number;
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined; // a card without that section beats no push at all
  }
}

/** run.json, metrics.jsonl and the data report of a `loraforge train` output folder; undefined when it is not one. */
export function readRunSummary(runDir: string): RunSummary | undefined {
  const run = readJson(path.join(runDir, "run.json"));
  if (!run || typeof run.config !== "object" || run.config === null) return undefined;
  const config = run.config as Record<string, unknown>;
  const result = (run.result ?? {}) as { stoppedBy?: string; globalStep?: number; best?: { step: number; valLoss: number } };
  const summary: RunSummary = { config, stoppedBy: result.stoppedBy, steps: result.globalStep, best: result.best };
  const metrics = path.join(runDir, "metrics.jsonl");
  if (fs.existsSync(metrics)) {
    for (const line of fs.readFileSync(metrics, "utf8").split("\n")) {
      let m: { type?: string; step: number; loss?: number; val_loss?: number };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        continue; // a blank or torn line (a run killed mid-write) says nothing
      }
      if (m.type === "eval" && typeof m.val_loss === "number") summary.finalValLoss = { step: m.step, valLoss: m.val_loss };
      if (m.type === "train" && typeof m.loss === "number") summary.finalTrainLoss = { step: m.step, loss: m.loss };
    }
  }
  summary.data = dataSummary(runDir, config);
  return summary;
}

/** The report of the prepared data the run used: output_dir/data (raw files), or the prepared folder it was given. */
function dataSummary(runDir: string, config: Record<string, unknown>): DataSummary | undefined {
  const train = (config.data as { train?: string | string[] } | undefined)?.train;
  const candidates = [path.join(runDir, "data"), ...(Array.isArray(train) ? train : train ? [train] : [])];
  for (const dir of candidates) {
    const report = readJson(path.join(dir, "report.json"));
    if (!report) continue;
    const split = (report.split ?? {}) as { train?: number; val?: number };
    const lengths = (report.lengths ?? {}) as { train?: { tokens?: number; trainedTokens?: number } };
    const duplicates = (report.duplicates ?? {}) as { exact?: number; near?: number };
    const files = Array.isArray(report.files) ? (report.files as Array<{ file: string; format?: string; rows: number }>) : [];
    return {
      files: files.map((f) => ({ file: path.basename(f.file), format: f.format, rows: f.rows })),
      train: split.train ?? 0,
      val: split.val ?? 0,
      tokens: lengths.train?.tokens,
      trainedTokens: lengths.train?.trainedTokens,
      exactDuplicates: duplicates.exact ?? 0,
      nearDuplicates: duplicates.near ?? 0,
    };
  }
  return undefined;
}
