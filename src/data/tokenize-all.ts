import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { loadTokenizer, type TrainOn } from "../tokenizer/index.js";
import { tokenizeRecord, type TokenizeResult } from "./tokenize-record.js";
import type { TrainingRecord } from "./types.js";

export interface TokenizerSpec {
  modelDir: string;
  chatTemplate?: string;
  trainOn: TrainOn;
}

/** Below this many records, loading the tokenizer in each worker costs more than it saves. */
const MIN_RECORDS_FOR_WORKERS = 4000;
const BATCH = 500;

/**
 * Tokenizes every record, in order. Large inputs are spread over worker threads (one per core, or `workers`);
 * the results do not depend on how many workers ran.
 */
export async function tokenizeAll(records: readonly TrainingRecord[], spec: TokenizerSpec, workers?: number): Promise<TokenizeResult[]> {
  const count = Math.max(1, Math.min(workers ?? availableParallelism(), Math.ceil(records.length / BATCH)));
  if (count === 1 || records.length < MIN_RECORDS_FOR_WORKERS) {
    const tok = loadTokenizer(spec.modelDir, { chatTemplate: spec.chatTemplate });
    return records.map((r) => tokenizeRecord(tok, r, spec.trainOn));
  }
  const results = new Array<TokenizeResult>(records.length);
  let next = 0;
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const pool = Array.from({ length: count }, () => new Worker(new URL(`./tokenize-worker${ext}`, import.meta.url), { workerData: spec }));
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
