import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { LoraTokenizer, TrainOn } from "../tokenizer/index.js";
import type { DataProgressListener } from "./progress.js";
import { tokenizeRecord, type TokenizeResult } from "./tokenize-record.js";
import type { TrainingRecord } from "./types.js";

export interface TokenizerSpec {
  modelDir: string;
  chatTemplate?: string;
  trainOn: TrainOn;
  /** Conversations longer than this also get their split at turn boundaries. */
  maxSeqLength?: number;
}

/** Below this many records, loading the tokenizer in each worker costs more than it saves. */
const MIN_RECORDS_FOR_WORKERS = 4000;
const BATCH = 500;
/** Records between two progress events when tokenizing on this thread. */
const PROGRESS_EVERY = 100;

/**
 * Tokenizes every record, in order. Large inputs are spread over worker threads (one per core, or `workers`),
 * each loading the tokenizer `spec` names; small ones use `tok` here. Results do not depend on the worker count.
 */
export async function tokenizeAll(
  records: readonly TrainingRecord[],
  tok: LoraTokenizer,
  spec: TokenizerSpec,
  workers?: number,
  onProgress?: DataProgressListener,
): Promise<TokenizeResult[]> {
  const count = Math.max(1, Math.min(workers ?? availableParallelism(), Math.ceil(records.length / BATCH)));
  let done = 0;
  let tokens = 0;
  const progress = (results: readonly TokenizeResult[]) => {
    done += results.length;
    for (const r of results) if (r.ok) tokens += r.inputIds.length;
    onProgress?.({ phase: "tokenize", records: done, total: records.length, tokens });
  };
  if (count === 1 || records.length < MIN_RECORDS_FOR_WORKERS) {
    const results: TokenizeResult[] = [];
    for (let i = 0; i < records.length; i += PROGRESS_EVERY) {
      const batch = records.slice(i, i + PROGRESS_EVERY).map((r) => tokenizeRecord(tok, r, spec.trainOn, spec.maxSeqLength));
      results.push(...batch);
      progress(batch);
    }
    return results;
  }
  const results = new Array<TokenizeResult>(records.length);
  let next = 0;
  const pool = Array.from({ length: count }, () => startWorker(spec));
  try {
    await Promise.all(
      pool.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= records.length) return resolve();
              const id = next;
              next += BATCH;
              worker.postMessage({ id, records: records.slice(id, id + BATCH) });
            };
            worker.on("message", (m: { id: number; results: TokenizeResult[] }) => {
              m.results.forEach((r, k) => (results[m.id + k] = r));
              progress(m.results);
              send();
            });
            worker.on("error", reject);
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
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
