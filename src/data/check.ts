import { loadTokenizer } from "../tokenizer/index.js";
import { analyzeData, type AnalyzeOptions, type AnalyzedData } from "./analyze.js";
import type { LengthStats } from "./length-stats.js";
import { tokenizeSplits } from "./tokenize-splits.js";
import type { DataFormat, Problem } from "./types.js";

export interface CheckOptions extends AnalyzeOptions {
  /** With a model folder, records are templated and tokenized for length statistics and template problems. */
  modelDir?: string;
  chatTemplate?: string;
  workers?: number;
}

export interface CheckReport {
  files: Array<{ file: string; format?: DataFormat; rows: number; valid: number }>;
  formats: Partial<Record<DataFormat, number>>;
  problems: Problem[];
  duplicates: { exact: number; near: number; conflicts: number };
  details: Awaited<ReturnType<typeof analyzeData>>["duplicates"];
  leakage: Awaited<ReturnType<typeof analyzeData>>["leakage"];
  split: { train: number; val: number };
  /** Conversations that start with the assistant (a warning, not an error), and what the policy did. */
  assistantFirst: AnalyzedData["assistantFirst"];
  /** Role names mapped to a canonical role, with how many messages used each. */
  roleAliases: AnalyzedData["roleAliases"];
  lengths?: { train: LengthStats; val: LengthStats };
  /** False when the report found errors (invalid records, or records the template rejects). */
  ok: boolean;
}

/** `data check`: everything prepare would find, without writing anything. */
export async function checkData(files: readonly string[], options: CheckOptions = {}): Promise<CheckReport> {
  const data = await analyzeData(files, options);
  const problems = [...data.problems];
  let lengths: CheckReport["lengths"];
  if (options.modelDir !== undefined) {
    const tok = loadTokenizer(options.modelDir, { chatTemplate: options.chatTemplate });
    if (data.conversations > 0) tok.requireChatTemplate();
    const spec = { modelDir: options.modelDir, chatTemplate: options.chatTemplate, trainOn: "all" as const };
    const tokenized = await tokenizeSplits(data, tok, spec, { truncation: "drop", workers: options.workers, onProgress: options.onProgress });
    problems.push(...tokenized.problems);
    lengths = tokenized.lengths;
  }
  return {
    files: data.files,
    formats: data.formats,
    problems,
    duplicates: { exact: data.duplicates.exact.length, near: data.duplicates.near.length, conflicts: data.duplicates.conflicts.length },
    details: data.duplicates,
    leakage: data.leakage,
    split: data.split,
    assistantFirst: data.assistantFirst,
    roleAliases: data.roleAliases,
    lengths,
    ok: problems.length === 0,
  };
}
