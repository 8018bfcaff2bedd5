import { Worker } from "node:worker_threads";
import type { TokenizerSpec } from "./tokenize-all.js";
import type { TokenizeResult } from "./tokenize-record.js";
import type { TrainingRecord } from "./types.js";

/**
 * Tokenizer worker threads, started before they are needed: each loads its tokenizer (seconds for a large
 * vocabulary) while the caller does something else, such as reading the input for analysis. A worker that fails
 * or stops before close() is remembered as the pool's failure (an unheard worker error would end the process),
 * and runPool reports it instead of waiting for results that will never come.
 */
export class TokenizerPool {
  readonly workers: readonly Worker[];
  private failure?: { error: unknown };
  private readonly listeners = new Set<() => void>();
  private closing = false;

  constructor(readonly spec: TokenizerSpec, count: number) {
    this.workers = Array.from({ length: count }, () => startWorker(spec));
    for (const worker of this.workers) {
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (!this.closing) this.fail(new Error(`a tokenizer worker stopped (exit code ${code})`));
      });
    }
  }

  /** The first failure of any worker, if one failed. */
  get failed(): { error: unknown } | undefined {
    return this.failure;
  }

  /** Calls `listener` when a worker fails (until the returned function is called). */
  onFailure(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    for (const listener of this.listeners) listener();
  }
}

/** Batches a worker is given at once: the second waits in its queue while this thread is busy tokenizing. */
const QUEUED_PER_WORKER = 2;

/**
 * Tokenizes batches on the pool's workers and on this thread, and delivers results in batch order. Each worker is
 * kept QUEUED_PER_WORKER batches deep, so that it never waits for this thread; a batch read while every worker is
 * that busy is tokenized here (`tokenizeHere`), between reading the input and writing the results. At most
 * `QUEUED_PER_WORKER × workers + 1` batches are read past the oldest one not yet delivered (so a slow batch cannot
 * let finished ones pile up).
 */
export async function runPool<T extends { record: TrainingRecord }>(
  pool: TokenizerPool,
  source: AsyncIterable<T[]>,
  tokenizeHere: (records: TrainingRecord[]) => TokenizeResult[],
  deliver: (items: readonly T[], results: readonly TokenizeResult[]) => void,
): Promise<{ peakRecordsHeld: number }> {
  const ahead = QUEUED_PER_WORKER * pool.workers.length + 1;
  const queued = new Map(pool.workers.map((w) => [w, 0]));
  const ready: number[] = [];
  const read = new Map<number, T[]>();
  const finished = new Map<number, TokenizeResult[]>();
  let next = 0;
  let delivered = 0;
  let held = 0;
  let peakRecordsHeld = 0;
  let failure: { error: unknown } | undefined = pool.failed;
  let wake: (() => void) | undefined;
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const dispatch = () => {
    for (const [worker, n] of queued) {
      for (let k = n; k < QUEUED_PER_WORKER && ready.length > 0; k++) {
        const id = ready.shift()!;
        worker.postMessage({ id, records: read.get(id)!.map((item) => item.record) });
        queued.set(worker, k + 1);
      }
    }
  };
  const finish = (id: number, results: TokenizeResult[]) => {
    finished.set(id, results);
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
  };
  const handlers = pool.workers.map((worker) => {
    const handler = (m: { id: number; results: TokenizeResult[] }) => {
      queued.set(worker, queued.get(worker)! - 1);
      dispatch();
      finish(m.id, m.results);
      signal();
    };
    worker.on("message", handler);
    return () => worker.off("message", handler);
  });
  const unlisten = pool.onFailure(() => {
    failure ??= pool.failed;
    signal();
  });
  try {
    for await (const batch of source) {
      held += batch.length;
      peakRecordsHeld = Math.max(peakRecordsHeld, held);
      while (!failure && next - delivered >= ahead) await changed();
      if (failure) throw failure.error;
      read.set(next, batch);
      ready.push(next++);
      dispatch();
      // Every worker has a batch waiting: this thread takes this one rather than wait.
      const id = ready.shift();
      if (id !== undefined) finish(id, tokenizeHere(read.get(id)!.map((item) => item.record)));
    }
    while (!failure && delivered < next) await changed();
    if (failure) throw failure.error;
    return { peakRecordsHeld };
  } finally {
    unlisten();
    for (const off of handlers) off();
  }
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
