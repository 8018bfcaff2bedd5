import { loadTokenizer } from "../tokenizer/index.js";
import { analyzeData, analyzedFiles, type AnalyzeOptions, type AnalyzedData } from "./analyze.js";
import type { LengthStats } from "./length-stats.js";
import { withTokenizerPool, type TokenizerSpec } from "./tokenize-all.js";
import type { TokenizerPool } from "./tokenize-pool.js";
import { tokenizeSplits } from "./tokenize-splits.js";
import type { DataFormat, Problem } from "./types.js";

export interface CheckOptions extends AnalyzeOptions {
  /** With a model folder, records are templated and tokenized for length statistics and template problems. */
  modelDir?: string;
  chatTemplate?: string;
  /** Tokenizer threads (1 = this thread; default: one per core once the input holds MIN_BYTES_FOR_WORKERS). */
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
  const spec = options.modelDir !== undefined ? { modelDir: options.modelDir, chatTemplate: options.chatTemplate, trainOn: "all" as const } : undefined;
  if (!spec) return checkWith(undefined, undefined, files, options);
  return withTokenizerPool(spec, analyzedFiles(files, options), options.workers, (pool) => checkWith(pool, spec, files, options));
}

/** The rest of checkData, on the pool's workers (or this thread, without a pool). */
async function checkWith(pool: TokenizerPool | undefined, spec: TokenizerSpec | undefined, files: readonly string[], options: CheckOptions): Promise<CheckReport> {
  const tok = spec && loadTokenizer(spec.modelDir, { chatTemplate: spec.chatTemplate });
  const data = await analyzeData(files, options);
  const problems = [...data.problems];
  let lengths: CheckReport["lengths"];
  if (tok && spec) {
    if (data.conversations > 0) tok.requireChatTemplate();
    const tokenized = await tokenizeSplits(data, tok, spec, { truncation: "drop", pool, onProgress: options.onProgress });
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
