import { Option, type Command } from "commander";
import { DEFAULT_MAX_SEQ_LENGTH, prepareDataset, TRUNCATION_POLICIES, DEFAULT_TRUNCATION, type TruncationReport, type AssistantFirstReport, type TruncationPolicy } from "../data/index.js";
import { DataProgress } from "./data-progress.js";
import { printAssistantFirst, printRoleAliases } from "./data-check.js";
import { addReadingOptions, readingOptions, type ReadingFlags } from "./data-options.js";
import { numberOption } from "./number-option.js";

interface PrepareFlags extends ReadingFlags {
  model: string;
  out: string;
  trainOn: "all" | "last";
  maxSeqLength: number;
  truncation: TruncationPolicy;
  skipInvalid?: boolean;
  workers?: number;
  force?: boolean;
  json?: boolean;
}

/** One line per policy (the chosen one marked): records, turns and trained tokens kept, cut or dropped. */
export function truncationLines(t: TruncationReport): string[] {
  const lines = [`truncation: ${t.overLength} records over ${t.maxSeqLength} tokens; what each policy keeps:`];
  for (const [policy, o] of Object.entries(t.policies)) {
    const r = o.records;
    lines.push(
      `${policy === t.policy ? "*" : " "} ${policy.padEnd(5)} records ${r.written} written (${r.whole} whole, ${r.split} split, ${r.cut} cut, ${r.dropped} dropped); ` +
        `turns ${o.turns.kept} kept, ${o.turns.cut} cut, ${o.turns.dropped} dropped; trained tokens ${o.trainedTokens.kept} kept, ${o.trainedTokens.dropped} dropped`,
    );
  }
  return lines;
}

export function registerDataPrepare(data: Command): void {
  addReadingOptions(
    data
      .command("prepare")
      .description("write tokenized train.jsonl / val.jsonl ({input_ids, labels}) and report.json")
      .argument("<files...>", "data files (.jsonl, .json, .csv, .parquet), in order")
      .requiredOption("--model <dir>", "model folder with tokenizer.json and tokenizer_config.json")
      .requiredOption("--out <dir>", "output folder")
      .addOption(new Option("--train-on <turns>", "train every assistant turn, or only the last").choices(["all", "last"]).default("all"))
      .option("--max-seq-length <n>", "longest record in tokens", numberOption("--max-seq-length", { min: 1, integer: true }), DEFAULT_MAX_SEQ_LENGTH)
      .addOption(
        new Option("--truncation <policy>", "records over --max-seq-length: split at turn boundaries, drop, or cut left/right")
          .choices(TRUNCATION_POLICIES)
          .default(DEFAULT_TRUNCATION),
      )
      .option("--skip-invalid", "leave invalid records out (listed in report.json) instead of stopping")
      .option("--workers <n>", "tokenizer threads, this one included (default: one per core from 4 MiB of input, else 1)", numberOption("--workers", { min: 1, max: 256, integer: true }))
      .option("--force", "recompute even when the output folder holds a result for the same inputs and options")
      .option("--json", "print the report as JSON"),
  ).action(async (files: string[], flags: PrepareFlags) => {
    const progress = new DataProgress();
    const { cached, report } = await prepareDataset(files, {
      ...readingOptions(flags),
      modelDir: flags.model,
      outDir: flags.out,
      trainOn: flags.trainOn,
      maxSeqLength: flags.maxSeqLength,
      truncation: flags.truncation,
      skipInvalid: flags.skipInvalid,
      workers: flags.workers,
      force: flags.force,
      onProgress: progress.update,
    }).finally(() => progress.stop());
    if (flags.json) return console.log(JSON.stringify({ cached, ...report }, null, 2));
    if (cached) return console.log(`${flags.out}: up to date (same inputs and options; --force recomputes)`);
    const split = report.split as { train: number; val: number };
    const dup = report.duplicates as { exact: number; near: number; conflicts: number };
    const invalid = (report.invalid as unknown[]).length;
    console.log(`${flags.out}: ${split.train} train, ${split.val} validation records`);
    console.log(`removed ${dup.exact} exact and ${dup.near} near duplicates; ${dup.conflicts} conflicts kept; ${invalid} invalid skipped`);
    printRoleAliases(report.roleAliases as Parameters<typeof printRoleAliases>[0]);
    printAssistantFirst(report.assistantFirst as AssistantFirstReport);
    for (const line of truncationLines(report.truncation as TruncationReport)) console.log(line);
    console.log(`details in ${flags.out}/report.json`);
  });
}
