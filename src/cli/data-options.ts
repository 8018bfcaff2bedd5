import { Option, type Command } from "commander";
import { ASSISTANT_FIRST_POLICIES, DATA_FORMATS, DEFAULT_ASSISTANT_FIRST, type AssistantFirstPolicy } from "../data/index.js";
import { numberOption } from "./number-option.js";

/** Options that every data command shares: how files are read and cleaned, split and deduplicated. */
export function addReadingOptions(command: Command): Command {
  return command
    .addOption(new Option("--format <format>", "read every file as this format instead of detecting it").choices(DATA_FORMATS))
    .option("--chat-template <name|file>", "chat template: chatml, llama3, llama2, mistral, gemma, or a .jinja file")
    .option("--collapse-whitespace", "collapse runs of spaces and blank lines in every message")
    .option("--val-fraction <x>", "share of records held out for validation (default 0.05, 0 allowed)", numberOption("--val-fraction", { min: 0, max: 0.99 }))
    .option("--val-size <n>", "number of records held out for validation", numberOption("--val-size", { min: 0, integer: true }))
    .option("--val-file <file>", "use this file as the validation split instead of a random split")
    .option("--seed <n>", "seed of the split and of sampling (default 42)", numberOption("--seed", { min: 0, max: 2 ** 32 - 1, integer: true }))
    .option("--threshold <x>", "near-duplicate Jaccard threshold on word 3-gram shingles (default 0.9)", numberOption("--threshold", { min: 0.01, max: 1 }))
    .option("--no-near-dedupe", "skip near-duplicate detection (exact duplicates are still removed)")
    .addOption(
      new Option("--assistant-first <policy>", "conversations that start with the assistant: keep, drop, or train only the later turns")
        .choices(ASSISTANT_FIRST_POLICIES)
        .default(DEFAULT_ASSISTANT_FIRST),
    );
}

export interface ReadingFlags {
  format?: (typeof DATA_FORMATS)[number];
  chatTemplate?: string;
  collapseWhitespace?: boolean;
  valFraction?: number;
  valSize?: number;
  valFile?: string;
  seed?: number;
  threshold?: number;
  nearDedupe: boolean;
  assistantFirst: AssistantFirstPolicy;
}

/** The analyze options the reading flags stand for. */
export function readingOptions(flags: ReadingFlags) {
  return {
    format: flags.format,
    chatTemplate: flags.chatTemplate,
    collapseWhitespace: flags.collapseWhitespace,
    valFraction: flags.valFraction,
    valSize: flags.valSize,
    valFile: flags.valFile,
    seed: flags.seed,
    threshold: flags.threshold,
    nearDuplicates: flags.nearDedupe,
    assistantFirst: flags.assistantFirst,
  };
}
