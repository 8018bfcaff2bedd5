import { existsSync } from "node:fs";
import path from "node:path";
import { loadTokenizer, type TrainOn } from "../tokenizer/index.js";
import { InputError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import { analyzeData, analyzedFiles, type AnalyzeOptions } from "./analyze.js";
import { DEFAULT_ASSISTANT_FIRST } from "./assistant-first.js";
import { cachedKey, prepareCacheKey } from "./cache.js";
import { OUTPUT_FILES, PreparedOutput } from "./prepared-output.js";
import { withTokenizerPool, type TokenizerSpec } from "./tokenize-all.js";
import type { TokenizerPool } from "./tokenize-pool.js";
import { tokenizeSplits, type TokenizedSplits } from "./tokenize-splits.js";
import { DEFAULT_TRUNCATION, type TruncationPolicy } from "./truncate.js";
import { formatProblem, type Problem } from "./types.js";

export const DEFAULT_MAX_SEQ_LENGTH = 2048;

export interface PrepareOptions extends AnalyzeOptions {
  modelDir: string;
  outDir: string;
  chatTemplate?: string;
  trainOn?: TrainOn;
  maxSeqLength?: number;
  truncation?: TruncationPolicy;
  /** Continue past invalid records, reporting them (default: stop with the full list). */
  skipInvalid?: boolean;
  /** How the caller's user turns skipInvalid on, for the hint of that stop (default: the CLI flag). */
  skipInvalidSwitch?: string;
  /** Tokenizer threads (1 = this thread; default: one per core once the input holds MIN_BYTES_FOR_WORKERS). */
  workers?: number;
  /** Ignore a cached result. */
  force?: boolean;
  /** Records per tokenizer batch (default 500): with the worker count, what bounds memory. */
  batchSize?: number;
}

export interface PrepareResult {
  cached: boolean;
  report: Record<string, unknown>;
  /** The most records held at once between reading and writing (absent when the cached result was reused). */
  peakRecordsHeld?: number;
}

/** The options that change the output (not where it goes, nor how many workers compute it). */
function outputOptions(files: readonly string[], o: PrepareOptions): Record<string, unknown> {
  return {
    files,
    format: o.format,
    collapseWhitespace: o.collapseWhitespace ?? false,
    chatTemplate: o.chatTemplate,
    trainOn: o.trainOn ?? "all",
    maxSeqLength: o.maxSeqLength ?? DEFAULT_MAX_SEQ_LENGTH,
    truncation: o.truncation ?? DEFAULT_TRUNCATION,
    valFile: o.valFile,
    valFraction: o.valFraction,
    valSize: o.valSize,
    seed: o.seed,
    threshold: o.threshold,
    nearDuplicates: o.nearDuplicates ?? true,
    skipInvalid: o.skipInvalid ?? false,
    assistantFirst: o.assistantFirst ?? DEFAULT_ASSISTANT_FIRST,
  };
}

function stopOnProblems(problems: Problem[], what: string, skipSwitch: string): void {
  if (problems.length === 0) return;
  throw new InputError(`${problems.length} ${what}:\n${problems.map((p) => `  ${formatProblem(p)}`).join("\n")}`, {}, {
    hint: `fix them, or ${skipSwitch} to leave them out (they are listed in report.json)`,
  });
}

/**
 * `data prepare`: validated, cleaned, deduplicated, split, templated, tokenized and truncated records written to
 * train.jsonl / val.jsonl ({"input_ids", "labels"}, −100 = not trained) and report.json, each atomically.
 * An output folder whose report.json carries the same cache key is reused as it is.
 */
export async function prepareDataset(files: readonly string[], options: PrepareOptions): Promise<PrepareResult> {
  const settings = outputOptions(files, options);
  // Every file whose bytes shape the output: the data, the validation file, a --chat-template file.
  const inputs = [...files, options.valFile, options.chatTemplate].filter((f): f is string => f !== undefined && existsSync(f));
  const cacheKey = await prepareCacheKey(inputs, options.modelDir, settings);
  const reportPath = path.join(options.outDir, "report.json");
  if (!options.force && cachedKey(options.outDir, OUTPUT_FILES) === cacheKey) {
    return { cached: true, report: { cacheKey, reused: reportPath } };
  }
  const spec: TokenizerSpec = { modelDir: options.modelDir, chatTemplate: options.chatTemplate, trainOn: options.trainOn ?? "all", maxSeqLength: settings.maxSeqLength as number };
  return withTokenizerPool(spec, analyzedFiles(files, options), options.workers, (pool) => prepareWith(pool, spec, files, options, { settings, cacheKey }));
}

/** The rest of prepareDataset, on the pool's workers (or this thread, without a pool). */
async function prepareWith(
  pool: TokenizerPool | undefined,
  spec: TokenizerSpec,
  files: readonly string[],
  options: PrepareOptions,
  { settings, cacheKey }: { settings: Record<string, unknown>; cacheKey: string },
): Promise<PrepareResult> {
  const tok = loadTokenizer(options.modelDir, { chatTemplate: options.chatTemplate });
  const data = await analyzeData(files, options);
  const skipSwitch = options.skipInvalidSwitch ?? "pass --skip-invalid";
  if (!options.skipInvalid) stopOnProblems(data.problems, "invalid records", skipSwitch);
  const needsTemplate = data.conversations > 0;
  if (needsTemplate) tok.requireChatTemplate();
  const output = new PreparedOutput(options.outDir);
  let tokenized: TokenizedSplits;
  try {
    tokenized = await tokenizeSplits(data, tok, spec, {
      truncation: settings.truncation as TruncationPolicy,
      pool,
      onProgress: options.onProgress,
      batchSize: options.batchSize,
      write: (split, example) => output.add(split, example),
    });
    if (!options.skipInvalid) stopOnProblems(tokenized.problems, "records the chat template or the mask rejected", skipSwitch);
  } catch (err) {
    output.abort();
    throw err;
  }
  const report = {
    loraforge: packageVersion(),
    cacheKey,
    options: settings,
    files: data.files,
    invalid: [...data.problems, ...tokenized.problems],
    duplicates: {
      exact: data.duplicates.exact.length,
      near: data.duplicates.near.length,
      conflicts: data.duplicates.conflicts.length,
      pairs: data.duplicates,
    },
    leakage: data.leakage,
    assistantFirst: data.assistantFirst,
    roleAliases: data.roleAliases,
    split: tokenized.written,
    truncation: tokenized.truncation,
    template: needsTemplate ? { prefixPreserving: tok.templateIsPrefixPreserving, turnsWithoutEndOfTurn: tokenized.turnsWithoutEndOfTurn } : undefined,
    lengths: tokenized.lengths,
  };
  output.commit(report);
  return { cached: false, report, peakRecordsHeld: tokenized.peakRecordsHeld };
}
