import { IGNORE_INDEX, type LoraTokenizer, type TokenizedExample } from "../tokenizer/index.js";
import type { SplitRecord } from "./analyze.js";
import type { DataProgressListener } from "./progress.js";
import { lengthStats, type LengthStats } from "./length-stats.js";
import { tokenizeStream, type TokenizerSpec } from "./tokenize-all.js";
import type { TokenizerPool } from "./tokenize-pool.js";
import type { TruncationPolicy } from "./truncate.js";
import { applyTruncation, emptyTruncationReport, type TruncationReport } from "./truncation-report.js";
import type { Problem } from "./types.js";

export interface TokenizeSplitsOptions {
  truncation: TruncationPolicy;
  /** Worker threads started with the same spec (see startTokenizerPool); without them, this thread tokenizes. */
  pool?: TokenizerPool;
  onProgress?: DataProgressListener;
  /** Records per worker batch (see tokenizeStream). */
  batchSize?: number;
  /** Receives every written example as it is made, in input order per split. */
  write?: (split: SplitRecord["split"], example: TokenizedExample) => void;
}

export interface TokenizedSplits {
  /** Examples written per split (after truncation). */
  written: { train: number; val: number };
  /** Records the template refused or whose mask could not be built, located. */
  problems: Problem[];
  truncation: TruncationReport;
  turnsWithoutEndOfTurn: number;
  /** Token lengths before truncation. */
  lengths: { train: LengthStats; val: LengthStats };
  /** The most records held at once between reading and writing (bounded by the batches, not the input). */
  peakRecordsHeld: number;
}

/**
 * Tokenizes the records of both splits as they stream in, applies the truncation policy at spec.maxSeqLength (and
 * counts every other) and hands each example to `write`; only lengths and counts are kept.
 */
export async function tokenizeSplits(
  data: { records(): AsyncIterable<SplitRecord>; split: { train: number; val: number } },
  tok: LoraTokenizer,
  spec: TokenizerSpec,
  options: TokenizeSplitsOptions,
): Promise<TokenizedSplits> {
  // Kept per split so they list as before streaming: every training record's problem, then validation's.
  const problems = { train: [] as Problem[], val: [] as Problem[] };
  const truncation = emptyTruncationReport(options.truncation, spec.maxSeqLength);
  const written = { train: 0, val: 0 };
  const lengths = { train: [] as number[], val: [] as number[] };
  const trained = { train: 0, val: 0 };
  let turnsWithoutEndOfTurn = 0;
  const total = data.split.train + data.split.val;
  const streamOptions = { total, pool: options.pool, onProgress: options.onProgress, batchSize: options.batchSize };
  const { peakRecordsHeld } = await tokenizeStream(data.records(), tok, spec, streamOptions, ({ record, split }, result) => {
    if (!result.ok) {
      problems[split].push({ ...record.source, message: result.message });
      return;
    }
    turnsWithoutEndOfTurn += result.turnsWithoutEndOfTurn;
    lengths[split].push(result.inputIds.length);
    for (const example of applyTruncation(result, result.pieces, spec.maxSeqLength, truncation)) {
      trained[split] += example.labels.filter((l) => l !== IGNORE_INDEX).length;
      written[split]++;
      options.write?.(split, { inputIds: example.inputIds, labels: example.labels });
    }
  });
  return {
    written,
    problems: [...problems.train, ...problems.val],
    truncation,
    turnsWithoutEndOfTurn,
    lengths: { train: lengthStats(lengths.train, trained.train), val: lengthStats(lengths.val, trained.val) },
    peakRecordsHeld,
  };
}
