import type { Command } from "commander";
import { checkData, formatProblem, histogramLines, type AssistantFirstReport, type CheckReport } from "../data/index.js";
import { DataProgress } from "./data-progress.js";
import { addReadingOptions, readingOptions, type ReadingFlags } from "./data-options.js";
import { numberOption } from "./number-option.js";

/** Problems printed on the terminal before "… and N more" (--json prints all). */
const MAX_PRINTED = 50;

function printReport(report: CheckReport): void {
  for (const f of report.files) console.log(`${f.file}: ${f.format ?? "format unknown"}, ${f.valid}/${f.rows} valid rows`);
  console.log(`formats: ${Object.entries(report.formats).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`);
  printRoleAliases(report.roleAliases);
  console.log(`duplicates: ${report.duplicates.exact} exact, ${report.duplicates.near} near (removed); ${report.duplicates.conflicts} conflicts (kept)`);
  for (const c of report.details.conflicts.slice(0, MAX_PRINTED)) {
    console.log(`  conflict: ${c.first.file}:${c.first.line} and ${c.second.file}:${c.second.line} answer the same prompt differently`);
  }
  printAssistantFirst(report.assistantFirst);
  console.log(`split: ${report.split.train} train, ${report.split.val} validation; leakage: ${report.leakage.length}`);
  for (const l of report.leakage.slice(0, MAX_PRINTED)) {
    console.log(`  leak (${l.kind}${l.jaccard ? ` ${l.jaccard}` : ""}): validation ${l.val.file}:${l.val.line} ~ train ${l.train.file}:${l.train.line}`);
  }
  for (const [split, stats] of Object.entries(report.lengths ?? {})) {
    console.log(`${split} tokens: ${stats.records} records, min ${stats.min}, mean ${stats.mean}, p50 ${stats.p50}, p95 ${stats.p95}, max ${stats.max}, trained ${stats.trainedTokens}`);
    for (const line of histogramLines(stats)) console.log(line);
  }
  if (report.problems.length > 0) {
    console.log(`${report.problems.length} problems:`);
    for (const p of report.problems.slice(0, MAX_PRINTED)) console.log(`  ${formatProblem(p)}`);
    if (report.problems.length > MAX_PRINTED) console.log(`  … and ${report.problems.length - MAX_PRINTED} more (--json lists all)`);
  }
}

/** Which role names were read as which role, and how often. */
export function printRoleAliases(aliases: CheckReport["roleAliases"]): void {
  const mapped = Object.entries(aliases).map(([name, { role, count }]) => `${name} → ${role} ×${count}`);
  if (mapped.length > 0) console.log(`role aliases: ${mapped.join(", ")}`);
}

/** The assistant-first warning: how many, what the policy did, and where the first few are. */
export function printAssistantFirst(r: AssistantFirstReport): void {
  if (r.records.length === 0) return;
  const done = { keep: "first answers trained with no question", drop: "left out", "later-turns": "first answers kept as untrained context" }[r.policy];
  console.log(`warning: ${r.records.length} conversations start with the assistant (--assistant-first ${r.policy}: ${done}; ${r.dropped} left out)`);
  for (const at of r.records.slice(0, 5)) console.log(`  starts with the assistant: ${at.file}:${at.line}`);
  if (r.records.length > 5) console.log(`  … and ${r.records.length - 5} more (--json lists all)`);
}

export function registerDataCheck(data: Command): void {
  addReadingOptions(
    data
      .command("check")
      .description("validate data files: formats, problems with locations, duplicates, conflicts, leakage, token lengths")
      .argument("<files...>", "data files (.jsonl, .json, .csv, .parquet)")
      .option("--model <dir>", "model folder: template and tokenize records for token-length statistics")
      .option("--workers <n>", "tokenizer threads, this one included (default: one per core from 4 MiB of input, else 1)", numberOption("--workers", { min: 1, max: 256, integer: true }))
      .option("--json", "print one machine-readable report"),
  ).action(async (files: string[], flags: ReadingFlags & { model?: string; json?: boolean; workers?: number }) => {
    const progress = new DataProgress();
    const report = await checkData(files, { ...readingOptions(flags), modelDir: flags.model, workers: flags.workers, onProgress: progress.update }).finally(() => progress.stop());
    if (flags.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
    if (!report.ok) process.exitCode = 1;
  });
}
