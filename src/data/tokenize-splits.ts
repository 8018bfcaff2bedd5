import { IGNORE_INDEX, type LoraTokenizer, type TokenizedExample } from "../tokenizer/index.js";
import type { DataProgressListener } from "./progress.js";
import { lengthStats, type LengthStats } from "./length-stats.js";
import { tokenizeAll, type TokenizerSpec } from "./tokenize-all.js";
import type { TruncationPolicy } from "./truncate.js";
import { applyTruncation, emptyTruncationReport, type TruncationReport } from "./truncation-report.js";
import type { Problem, TrainingRecord } from "./types.js";

export interface TokenizeSplitsOptions {
  maxSeqLength?: number;
  truncation: TruncationPolicy;
  workers?: number;
  onProgress?: DataProgressListener;
}

export interface TokenizedSplits {
  train: TokenizedExample[];
  val: TokenizedExample[];
  /** Records the template refused or whose mask could not be built, located. */
  problems: Problem[];
  truncation: TruncationReport;
  turnsWithoutEndOfTurn: number;
  /** Token lengths before truncation. */
  lengths: { train: LengthStats; val: LengthStats };
}

/** Tokenizes both splits (workers for large inputs), then applies the truncation policy (and counts every other). */
export async function tokenizeSplits(
  splits: { train: readonly TrainingRecord[]; val: readonly TrainingRecord[] },
  tok: LoraTokenizer,
  spec: Omit<TokenizerSpec, "maxSeqLength">,
  options: TokenizeSplitsOptions,
): Promise<TokenizedSplits> {
  const all = [...splits.train, ...splits.val];
  const results = await tokenizeAll(all, tok, { ...spec, maxSeqLength: options.maxSeqLength }, options.workers, options.onProgress);
  const out: TokenizedSplits = {
    train: [],
    val: [],
    problems: [],
    truncation: emptyTruncationReport(options.truncation, options.maxSeqLength),
    turnsWithoutEndOfTurn: 0,
    lengths: { train: lengthStats([], 0), val: lengthStats([], 0) },
  };
  const lengths = { train: [] as number[], val: [] as number[] };
  const trained = { train: 0, val: 0 };
  results.forEach((result, i) => {
    const split = i < splits.train.length ? "train" : "val";
    if (!result.ok) {
      out.problems.push({ ...all[i].source, message: result.message });
      return;
    }
    out.turnsWithoutEndOfTurn += result.turnsWithoutEndOfTurn;
    lengths[split].push(result.inputIds.length);
    for (const example of applyTruncation(result, result.pieces, options.maxSeqLength, out.truncation)) {
      trained[split] += example.labels.filter((l) => l !== IGNORE_INDEX).length;
      out[split].push({ inputIds: example.inputIds, labels: example.labels });
    }
  });
  out.lengths = { train: lengthStats(lengths.train, trained.train), val: lengthStats(lengths.val, trained.val) };
  return out;
}
