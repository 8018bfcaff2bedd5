import { availableParallelism } from "node:os";
import type { LoraTokenizer, TrainOn } from "../tokenizer/index.js";
import type { DataProgressListener } from "./progress.js";
import { recordText } from "./record-keys.js";
import { tokenizeRecord, type TokenizeResult } from "./tokenize-record.js";
import { runPool, startWorker } from "./tokenize-pool.js";
import type { TrainingRecord } from "./types.js";

export interface TokenizerSpec {
  modelDir: string;
  chatTemplate?: string;
  trainOn: TrainOn;
  /** Conversations longer than this also get their split at turn boundaries. */
  maxSeqLength?: number;
}

export interface TokenizeStreamOptions {
  /** Records the source will yield (for the choice of workers and the progress total). */
  total: number;
  workers?: number;
  onProgress?: DataProgressListener;
  /** Records per batch sent to a worker (default 500); on this thread, records per progress event (default 100). */
  batchSize?: number;
}

/** Characters of text per batch at most (a batch of long conversations closes early): what bounds the tokens in flight. */
const BATCH_CHARS = 1 << 20;

/** Below this many records, loading the tokenizer in each worker costs more than it saves. */
const MIN_RECORDS_FOR_WORKERS = 4000;
const BATCH = 500;
/** Records between two progress events when tokenizing on this thread. */
const PROGRESS_EVERY = 100;

/**
 * Tokenizes records as the source yields them and hands each result to `onResult` in source order. Large inputs
 * are spread over worker threads (one per core, or `workers`), each loading the tokenizer `spec` names; small ones
 * use `tok` here. Results do not depend on the worker count. Memory is bounded by the batches: at most
 * 2 × workers batches are between the source and `onResult` (plus the one being filled), whatever the input's
 * size; `peakRecordsHeld` says how many records were held at once.
 */
export async function tokenizeStream<T extends { record: TrainingRecord }>(
  source: AsyncIterable<T>,
  tok: LoraTokenizer,
  spec: TokenizerSpec,
  options: TokenizeStreamOptions,
  onResult: (item: T, result: TokenizeResult) => void,
): Promise<{ peakRecordsHeld: number }> {
  const batchSize = options.batchSize ?? BATCH;
  const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.ceil(options.total / batchSize)));
  let done = 0;
  let tokens = 0;
  const deliver = (items: readonly T[], results: readonly TokenizeResult[]) => {
    items.forEach((item, k) => onResult(item, results[k]));
    done += results.length;
    for (const r of results) if (r.ok) tokens += r.inputIds.length;
    options.onProgress?.({ phase: "tokenize", records: done, total: options.total, tokens });
  };
  if (count === 1 || options.total < MIN_RECORDS_FOR_WORKERS) {
    let peakRecordsHeld = 0;
    for await (const batch of batches(source, options.batchSize ?? PROGRESS_EVERY, BATCH_CHARS)) {
      peakRecordsHeld = Math.max(peakRecordsHeld, batch.length);
      deliver(batch, batch.map((item) => tokenizeRecord(tok, item.record, spec.trainOn, spec.maxSeqLength)));
    }
    return { peakRecordsHeld };
  }
  const pool = Array.from({ length: count }, () => startWorker(spec));
  try {
    return await runPool(pool, batches(source, batchSize, BATCH_CHARS), 2 * count, deliver);
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
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
