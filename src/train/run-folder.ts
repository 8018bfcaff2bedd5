import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import { ConfigError } from "../util/errors.js";
import { listCheckpoints } from "./checkpoint.js";

/** Files of a run's output_dir. */
export const RUN_FILE = "run.json";
export const METRICS_FILE = "metrics.jsonl";

/**
 * Makes output_dir ready for a new run: refused when it holds another run (unless `overwrite`), and never
 * deletes a folder that is not a loraforge run.
 */
export function prepareOutputDir(dir: string, overwrite: boolean): void {
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    if (!fs.existsSync(path.join(dir, RUN_FILE))) {
      throw new ConfigError(`output_dir ${dir} is not empty and holds no loraforge run; choose another output_dir`);
    }
    if (!overwrite) {
      throw new ConfigError(`output_dir ${dir} already holds a run`, {
        hint: "pass --resume to continue it, --overwrite to replace it, or set another output_dir",
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
}

/** The checkpoint to resume from: the given folder, or the newest one of output_dir. */
export function resolveResume(outputDir: string, given: string | true): string {
  if (given !== true) {
    if (!fs.existsSync(given)) throw new ConfigError(`checkpoint ${given} does not exist`);
    return path.resolve(given);
  }
  const newest = listCheckpoints(outputDir).at(-1);
  if (!newest) throw new ConfigError(`no checkpoint to resume from in ${outputDir}/checkpoints`, { hint: "start the run without --resume" });
  return newest.dir;
}

/** Drops metric lines past `step` (they belong to the part of the run that a resume replays). */
export function truncateMetrics(outputDir: string, step: number): void {
  const file = path.join(outputDir, METRICS_FILE);
  if (!fs.existsSync(file)) return;
  const kept = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && (JSON.parse(line) as { step: number }).step <= step);
  writeFileAtomic(file, kept.map((l) => `${l}\n`).join(""));
}

export function appendMetric(outputDir: string, record: Record<string, unknown>): void {
  fs.appendFileSync(path.join(outputDir, METRICS_FILE), `${JSON.stringify(record)}\n`);
}
