import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { loadTokenizer, type TokenizedExample, type TrainOn } from "../tokenizer/index.js";
import { InputError } from "../util/errors.js";
import { packageVersion } from "../util/package-info.js";
import { analyzeData, type AnalyzeOptions } from "./analyze.js";
import { writeAll, writeFileAtomic, writeFileAtomicWith } from "../util/atomic-write.js";
import { DEFAULT_ASSISTANT_FIRST } from "./assistant-first.js";
import { cachedKey, prepareCacheKey } from "./cache.js";
import { tokenizeSplits } from "./tokenize-splits.js";
import { DEFAULT_TRUNCATION, type TruncationPolicy } from "./truncate.js";
import { formatProblem, type Problem } from "./types.js";

export const DEFAULT_MAX_SEQ_LENGTH = 2048;
export const OUTPUT_FILES = ["train.jsonl", "val.jsonl"];

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
  workers?: number;
  /** Ignore a cached result. */
  force?: boolean;
}

export interface PrepareResult {
  cached: boolean;
  report: Record<string, unknown>;
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

/** Writes token records as prepared JSONL ({"input_ids", "labels"} per line), atomically. */
export function writePreparedJsonl(target: string, examples: readonly { inputIds: number[] | Int32Array; labels: number[] | Int32Array }[]): void {
  writeFileAtomicWith(target, (fd) => {
    // Lines are gathered into ~1 MiB writes: one write per record would dominate for short records.
    let pending: string[] = [];
    let size = 0;
    const flush = () => {
      writeAll(fd, Buffer.from(pending.join(""), "utf8"));
      pending = [];
      size = 0;
    };
    for (const e of examples) {
      const line = `{"input_ids":[${e.inputIds.join(",")}],"labels":[${e.labels.join(",")}]}\n`;
      pending.push(line);
      size += line.length;
      if (size > 1 << 20) flush();
    }
    flush();
  });
}

/**
 * Writes train.jsonl, val.jsonl and then report.json, each atomically. The old report.json goes first: it is what
 * vouches for the set (the cache key), so a crash between the files never leaves a report over a half-replaced set.
 * A full disk is an InputError naming the folder.
 */
function writeOutputs(outDir: string, tokenized: { train: readonly TokenizedExample[]; val: readonly TokenizedExample[] }, report: object): void {
  const reportPath = path.join(outDir, "report.json");
  try {
    mkdirSync(outDir, { recursive: true });
    rmSync(reportPath, { force: true });
    writePreparedJsonl(path.join(outDir, "train.jsonl"), tokenized.train);
    writePreparedJsonl(path.join(outDir, "val.jsonl"), tokenized.val);
    writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== "string") throw err;
    throw new InputError(`could not write the prepared data: ${(err as Error).message}`, { file: outDir }, {
      hint: "free some disk space (or fix the folder's permissions) and run again; no file was left half-written",
      cause: err,
    });
  }
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
  const tok = loadTokenizer(options.modelDir, { chatTemplate: options.chatTemplate });
  const data = await analyzeData(files, options);
  const skipSwitch = options.skipInvalidSwitch ?? "pass --skip-invalid";
  if (!options.skipInvalid) stopOnProblems(data.problems, "invalid records", skipSwitch);
  const needsTemplate = [...data.train, ...data.val].some((r) => r.kind === "chat");
  if (needsTemplate) tok.requireChatTemplate();
  const spec = { modelDir: options.modelDir, chatTemplate: options.chatTemplate, trainOn: options.trainOn ?? "all" };
  const tokenized = await tokenizeSplits(data, tok, spec, {
    maxSeqLength: settings.maxSeqLength as number,
    truncation: settings.truncation as TruncationPolicy,
    workers: options.workers,
    onProgress: options.onProgress,
  });
  if (!options.skipInvalid) stopOnProblems(tokenized.problems, "records the chat template or the mask rejected", skipSwitch);
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
    split: { train: tokenized.train.length, val: tokenized.val.length },
    truncation: tokenized.truncation,
    template: needsTemplate ? { prefixPreserving: tok.templateIsPrefixPreserving, turnsWithoutEndOfTurn: tokenized.turnsWithoutEndOfTurn } : undefined,
    lengths: tokenized.lengths,
  };
  writeOutputs(options.outDir, tokenized, report);
  return { cached: false, report };
}
