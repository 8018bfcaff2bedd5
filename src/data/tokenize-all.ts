import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { LoraTokenizer, TrainOn } from "../tokenizer/index.js";
import type { DataProgressListener } from "./progress.js";
import { recordText } from "./record-keys.js";
import { tokenizeRecord, type TokenizeResult } from "./tokenize-record.js";
import { runPool, TokenizerPool } from "./tokenize-pool.js";
import type { TrainingRecord } from "./types.js";

export interface TokenizerSpec {
  modelDir: string;
  chatTemplate?: string;
  trainOn: TrainOn;
  /** Conversations longer than this also get their split at turn boundaries. */
  maxSeqLength?: number;
}

export interface TokenizeStreamOptions {
  /** Records the source will yield (the progress total). */
  total: number;
  /** Worker threads to tokenize on (started with the same spec); without them, this thread tokenizes. */
  pool?: TokenizerPool;
  onProgress?: DataProgressListener;
  /** Records per batch sent to a worker (default 500); on this thread, records per progress event (default 100). */
  batchSize?: number;
}

/**
 * Characters of text per batch at most (a batch of long conversations closes early): what bounds the tokens in
 * flight, and the work left on a worker when this thread runs out (1 MiB left it waiting ~1 s on the long bench file).
 */
const BATCH_CHARS = 1 << 18;

/**
 * Input bytes below which loading the tokenizer in each worker costs more than it saves. Bytes, not records: 2,000
 * long conversations are more tokens than 4,000 short records. The workers start before the input is read for
 * analysis, so their start-up overlaps it; what is left of their cost is CPU time shared with that analysis.
 */
export const MIN_BYTES_FOR_WORKERS = 4 << 20;
const BATCH = 500;
/** Records between two progress events when tokenizing on this thread. */
const PROGRESS_EVERY = 100;

/**
 * Runs `use` with tokenizer workers for these input files, started now and closed after, error or not. They start
 * before the caller reads the input for analysis, so that each loads its tokenizer meanwhile. Tokenizing threads:
 * `workers` when the caller asks, else one per core once the files hold MIN_BYTES_FOR_WORKERS; this thread is one
 * of them (it tokenizes too, between reading and writing), so the pool has one worker fewer, and none for 1.
 */
export async function withTokenizerPool<R>(spec: TokenizerSpec, files: readonly string[], workers: number | undefined, use: (pool?: TokenizerPool) => Promise<R>): Promise<R> {
  const bytes = files.reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
  const threads = workers ?? (bytes >= MIN_BYTES_FOR_WORKERS ? availableParallelism() : 1);
  const pool = threads > 1 ? new TokenizerPool(spec, threads - 1) : undefined;
  try {
    return await use(pool);
  } finally {
    await pool?.close();
  }
}

/**
 * Tokenizes records as the source yields them and hands each result to `onResult` in source order, on the pool's
 * workers and this thread (`tok`), or on this thread alone. Results do not depend on the worker count. Memory is
 * bounded by the batches: at most 2 × workers + 1 batches are between the source and `onResult` (plus the one
 * being filled), whatever the input's size; `peakRecordsHeld` says how many records were held at once.
 */
export async function tokenizeStream<T extends { record: TrainingRecord }>(
  source: AsyncIterable<T>,
  tok: LoraTokenizer,
  spec: TokenizerSpec,
  options: TokenizeStreamOptions,
  onResult: (item: T, result: TokenizeResult) => void,
): Promise<{ peakRecordsHeld: number }> {
  let done = 0;
  let tokens = 0;
  const deliver = (items: readonly T[], results: readonly TokenizeResult[]) => {
    items.forEach((item, k) => onResult(item, results[k]));
    done += results.length;
    for (const r of results) if (r.ok) tokens += r.inputIds.length;
    options.onProgress?.({ phase: "tokenize", records: done, total: options.total, tokens });
  };
  const { pool } = options;
  const tokenizeHere = (records: readonly TrainingRecord[]) => records.map((r) => tokenizeRecord(tok, r, spec.trainOn, spec.maxSeqLength));
  if (pool) return runPool(pool, batches(source, options.batchSize ?? BATCH, BATCH_CHARS), tokenizeHere, deliver);
  let peakRecordsHeld = 0;
  for await (const batch of batches(source, options.batchSize ?? PROGRESS_EVERY, BATCH_CHARS)) {
    peakRecordsHeld = Math.max(peakRecordsHeld, batch.length);
    deliver(batch, tokenizeHere(batch.map((item) => item.record)));
  }
  return { peakRecordsHeld };
}

/** The source's items in arrays of `size` items, or fewer once they hold `chars` characters of text. */
async function* batches<T extends { record: TrainingRecord }>(source: AsyncIterable<T>, size: number, chars: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let length = 0;
  for await (const item of source) {
    batch.push(item);
    length += recordText(item.record).length;
    if (batch.length < size && length < chars) continue;
    yield batch;
    [batch, length] = [[], 0];
  }
  if (batch.length > 0) yield batch;
}
