import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { LoraTokenizer, TrainOn } from "../tokenizer/index.js";
import type { DataProgressListener } from "./progress.js";
import { recordText } from "./record-keys.js";
import { tokenizeRecord, type TokenizeResult } from "./tokenize-record.js";
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

/**
 * Sends batches to workers, reading at most `ahead` batches past the oldest one not yet delivered (so a slow batch
 * cannot let finished ones pile up), and delivers results in batch order. A worker that finishes gets the next
 * batch read before its results are written, so writing never leaves it idle.
 */
async function runPool<T extends { record: TrainingRecord }>(
  pool: readonly Worker[],
  source: AsyncIterable<T[]>,
  ahead: number,
  deliver: (items: readonly T[], results: readonly TokenizeResult[]) => void,
): Promise<{ peakRecordsHeld: number }> {
  const idle = [...pool];
  const ready: number[] = [];
  const read = new Map<number, T[]>();
  const finished = new Map<number, TokenizeResult[]>();
  let next = 0;
  let delivered = 0;
  let held = 0;
  let peakRecordsHeld = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const dispatch = () => {
    while (idle.length > 0 && ready.length > 0) {
      const id = ready.shift()!;
      idle.pop()!.postMessage({ id, records: read.get(id)!.map((item) => item.record) });
    }
  };
  for (const worker of pool) {
    worker.on("message", (m: { id: number; results: TokenizeResult[] }) => {
      finished.set(m.id, m.results);
      idle.push(worker);
      dispatch();
      try {
        for (let items = read.get(delivered); items && finished.has(delivered); items = read.get(delivered)) {
          deliver(items, finished.get(delivered)!);
          held -= items.length;
          read.delete(delivered);
          finished.delete(delivered++);
        }
      } catch (error) {
        failure ??= { error };
      }
      signal();
    });
    worker.on("error", (error) => {
      failure ??= { error };
      signal();
    });
  }
  for await (const batch of source) {
    held += batch.length;
    peakRecordsHeld = Math.max(peakRecordsHeld, held);
    while (!failure && next - delivered >= ahead) await changed();
    if (failure) throw failure.error;
    read.set(next, batch);
    ready.push(next++);
    dispatch();
  }
  while (!failure && delivered < next) await changed();
  if (failure) throw failure.error;
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

/**
 * A tokenizer worker. Built code runs tokenize-worker.js; from TypeScript sources (tsx, as in tests and
 * benchmarks) a worker does not inherit tsx's loader hooks, so a bootstrap registers them before importing.
 */
function startWorker(spec: TokenizerSpec): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./tokenize-worker.js", import.meta.url), { workerData: spec });
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./tokenize-worker.ts", import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: spec });
}
