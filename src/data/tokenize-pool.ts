import { Worker } from "node:worker_threads";
import type { TokenizerSpec } from "./tokenize-all.js";
import type { TokenizeResult } from "./tokenize-record.js";
import type { TrainingRecord } from "./types.js";

/**
 * Sends batches to workers, reading at most `ahead` batches past the oldest one not yet delivered (so a slow batch
 * cannot let finished ones pile up), and delivers results in batch order. A worker that finishes gets the next
 * batch read before its results are written, so writing never leaves it idle.
 */
export async function runPool<T extends { record: TrainingRecord }>(
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

/**
 * A tokenizer worker. Built code runs tokenize-worker.js; from TypeScript sources (tsx, as in tests and
 * benchmarks) a worker does not inherit tsx's loader hooks, so a bootstrap registers them before importing.
 */
export function startWorker(spec: TokenizerSpec): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./tokenize-worker.js", import.meta.url), { workerData: spec });
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./tokenize-worker.ts", import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: spec });
}
