import fs from "node:fs";
import path from "node:path";
import { removeDirAtomic, writeFileAtomic } from "../util/atomic-write.js";
import { ConfigError, InputError, LoraforgeError } from "../util/errors.js";
import { listCheckpoints, verifyCheckpoint } from "./checkpoint.js";

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
    removeDirAtomic(dir);
  }
  fs.mkdirSync(dir, { recursive: true });
}

/**
 * The checkpoint to resume from: the given folder (which must be intact), or the newest intact one of output_dir.
 * `skipped` says why each newer checkpoint was passed over (a crash or a full disk can damage one).
 */
export function resolveResume(outputDir: string, given: string | true): { dir: string; step: number; skipped: string[] } {
  if (given !== true) {
    if (!fs.existsSync(given)) throw new ConfigError(`checkpoint ${given} does not exist`);
    const dir = path.resolve(given);
    return { dir, step: verifyCheckpoint(dir).globalStep, skipped: [] };
  }
  const all = listCheckpoints(outputDir);
  if (all.length === 0) throw new ConfigError(`no checkpoint to resume from in ${outputDir}/checkpoints`, { hint: "start the run without --resume" });
  const skipped: string[] = [];
  for (const c of all.reverse()) {
    try {
      return { dir: c.dir, step: verifyCheckpoint(c.dir).globalStep, skipped };
    } catch (err) {
      if (!(err instanceof LoraforgeError)) throw err;
      skipped.push(err.message);
    }
  }
  throw new ConfigError(`no intact checkpoint to resume from in ${outputDir}/checkpoints:\n  ${skipped.join("\n  ")}`, {
    hint: "start the run again with --overwrite",
  });
}

/**
 * The records of metrics.jsonl, each with its line. A last line without its newline is what a crash during an
 * append leaves: it is dropped. Any other line that is not a JSON object is an InputError naming file and line.
 */
export function readMetricLines(outputDir: string): Array<{ text: string; record: Record<string, unknown> }> {
  const file = path.join(outputDir, METRICS_FILE);
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const out: Array<{ text: string; record: Record<string, unknown> }> = [];
  lines.forEach((text, i) => {
    if (text.trim() === "") return;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      if (i === lines.length - 1) return; // torn last line
      throw new InputError("not valid JSON", { file, line: i + 1 }, { hint: "delete the line (metrics.jsonl is a log; training state lives in checkpoints/)" });
    }
    if (typeof record !== "object" || record === null || typeof (record as { step?: unknown }).step !== "number") {
      throw new InputError('expected a metric record with a "step"', { file, line: i + 1 });
    }
    out.push({ text, record: record as Record<string, unknown> });
  });
  return out;
}

/** Drops metric lines past `step` (they belong to the part of the run that a resume replays). */
export function truncateMetrics(outputDir: string, step: number): void {
  const file = path.join(outputDir, METRICS_FILE);
  if (!fs.existsSync(file)) return;
  const kept = readMetricLines(outputDir).filter((m) => (m.record.step as number) <= step);
  writeFileAtomic(file, kept.map((m) => `${m.text}\n`).join(""));
}

export function appendMetric(outputDir: string, record: Record<string, unknown>): void {
  fs.appendFileSync(path.join(outputDir, METRICS_FILE), `${JSON.stringify(record)}\n`);
}
