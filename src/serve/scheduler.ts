import type { ContinuationOptions, KvCache, LinearAdapter, Model, SequenceStep } from "../model/index.js";
import { Continuation, forwardSequences, newKvCache } from "../model/index.js";
import { ApiError } from "./api-error.js";

export interface SchedulerLimits {
  /** Most sequences in the running batch. */
  maxBatch: number;
  /** Most sequences waiting for a place in the batch; more are refused with 429. */
  maxQueue: number;
  /** Most prompt tokens prefilled in one step (all sequences together), so a long prompt never stalls decoding. */
  prefillChunk: number;
}

export interface SequenceRequest {
  promptIds: readonly number[];
  /** The adapter modules the sequence runs with (empty for the base). */
  adapters: ReadonlyMap<string, LinearAdapter>;
  /** Sampling and stopping; `decode` is required (the scheduler streams text). */
  options: ContinuationOptions & { decode: (ids: number[]) => string };
  /** Called with each new piece of settled text as soon as it is known. */
  onText?: (delta: string) => void;
  /** Called with each new token id as soon as it is chosen. */
  onToken?: (id: number) => void;
}

export interface SequenceResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: "stop" | "length" | "cancelled";
}

export interface SequenceHandle {
  readonly done: Promise<SequenceResult>;
  /** Stops the sequence at the next step boundary and frees its KV cache. */
  cancel(): void;
}

interface Sequence {
  request: SequenceRequest;
  continuation: Continuation;
  cache?: KvCache;
  /** Tokens to feed next: the rest of the prompt, then the last sampled token. */
  pending: number[];
  sent: string;
  cancelled: boolean;
  /** Groups rows of one adapter together in the batch. */
  adapterKey: number;
  resolve: (result: SequenceResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Continuous batching: one decode batch that sequences join and leave between steps. Each step feeds every
 * running sequence its next token (or a chunk of its prompt) through one forwardSequences call, then samples.
 * Steps run one per event-loop turn, so HTTP I/O, new requests and disconnects are handled between them.
 */
export class Scheduler {
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  private scheduled = false;
  private closed = false;
  private readonly adapterKeys = new WeakMap<ReadonlyMap<string, LinearAdapter>, number>();
  private nextAdapterKey = 1;
  private idleWaiters: Array<() => void> = [];
  /** Steps run and rows fed since start (for /health and the benchmark). */
  readonly stats = { steps: 0, rows: 0, completed: 0, cancelled: 0 };

  constructor(
    private readonly model: Model,
    private readonly limits: SchedulerLimits,
    /** Most positions (prompt + completion) a sequence may hold. */
    private readonly contextLength: number,
  ) {}

  get load(): { running: number; waiting: number } {
    return { running: this.running.length, waiting: this.waiting.length };
  }

  submit(request: SequenceRequest): SequenceHandle {
    if (this.closed) throw new ApiError(503, "the server is shutting down", "server_error", null, "shutting_down");
    if (this.running.length + this.waiting.length >= this.limits.maxBatch + this.limits.maxQueue) {
      throw new ApiError(429, `the server is at capacity (${this.limits.maxBatch} running, ${this.limits.maxQueue} queued); retry later`, "rate_limit_error", null, "queue_full");
    }
    let resolve!: (r: SequenceResult) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<SequenceResult>((res, rej) => ((resolve = res), (reject = rej)));
    const seq: Sequence = {
      request,
      continuation: new Continuation(request.promptIds, request.options, this.model.eosTokenIds),
      pending: [...request.promptIds],
      sent: "",
      cancelled: false,
      adapterKey: this.adapterKey(request.adapters),
      resolve,
      reject,
    };
    this.waiting.push(seq);
    this.wake();
    return {
      done,
      cancel: () => {
        seq.cancelled = true;
        this.wake();
      },
    };
  }

  /** Refuses new sequences from now on. */
  close(): void {
    this.closed = true;
  }

  /** Cancels every sequence, running or waiting. */
  cancelAll(): void {
    for (const seq of [...this.waiting, ...this.running]) seq.cancelled = true;
    this.wake();
  }

  /** Resolves once no sequence is running or waiting. */
  idle(): Promise<void> {
    if (this.running.length + this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private adapterKey(adapters: ReadonlyMap<string, LinearAdapter>): number {
    if (adapters.size === 0) return 0;
    let key = this.adapterKeys.get(adapters);
    if (key === undefined) this.adapterKeys.set(adapters, (key = this.nextAdapterKey++));
    return key;
  }

  private wake(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.step();
    });
  }

  /** One step: drop cancelled sequences, admit waiting ones, run the batch, sample, retire finished ones. */
  private step(): void {
    this.dropCancelled();
    while (this.running.length < this.limits.maxBatch && this.waiting.length > 0) this.running.push(this.waiting.shift()!);
    if (this.running.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    const batch = this.plan();
    try {
      const logits = forwardSequences(this.model, batch.map(({ step }) => step));
      this.stats.steps++;
      batch.forEach(({ seq, step }, i) => {
        this.stats.rows += step.ids.length;
        const row = logits[i];
        if (row) this.advance(seq, row);
      });
    } catch (error) {
      for (const { seq } of batch) this.retire(seq, () => seq.reject(error));
    }
    this.wake();
  }

  /** This step's rows: each decoding sequence's last token, and prompt chunks within the prefill budget. */
  private plan(): Array<{ seq: Sequence; step: SequenceStep }> {
    let budget = this.limits.prefillChunk;
    const batch: Array<{ seq: Sequence; step: SequenceStep }> = [];
    for (const seq of this.running) {
      const prefilling = seq.continuation.tokens.length === 0;
      const take = prefilling ? Math.min(budget, seq.pending.length) : 1;
      if (take === 0) continue;
      if (prefilling) budget -= take;
      seq.cache ??= newKvCache(this.model, this.contextLength);
      const ids = seq.pending.splice(0, take);
      batch.push({ seq, step: { cache: seq.cache, ids, adapters: seq.request.adapters, logits: seq.pending.length === 0 } });
    }
    // Rows of one adapter side by side: its low-rank terms are then one GEMM pair per projection.
    return batch.sort((a, b) => a.seq.adapterKey - b.seq.adapterKey);
  }

  private advance(seq: Sequence, logits: ArrayLike<number>): void {
    const c = seq.continuation;
    const id = c.next(logits);
    const text = c.settledText();
    const delta = text.length > seq.sent.length && text.startsWith(seq.sent) ? text.slice(seq.sent.length) : "";
    if (delta) seq.sent = text;
    try {
      seq.request.onToken?.(id);
      if (delta) seq.request.onText?.(delta);
    } catch {
      // A client whose callback fails (its connection is gone) loses its own sequence, not the batch.
      seq.cancelled = true;
    }
    if (!c.done) {
      seq.pending.push(id);
      return;
    }
    this.stats.completed++;
    const result: SequenceResult = {
      text: c.text(),
      promptTokens: seq.request.promptIds.length,
      completionTokens: c.tokens.length,
      finishReason: c.finishReason === "length" ? "length" : "stop",
    };
    this.retire(seq, () => seq.resolve(result));
  }

  private dropCancelled(): void {
    for (const list of [this.waiting, this.running]) {
      for (const seq of list.filter((s) => s.cancelled)) {
        this.stats.cancelled++;
        const c = seq.continuation;
        const result: SequenceResult = { text: seq.sent, promptTokens: seq.request.promptIds.length, completionTokens: c.tokens.length, finishReason: "cancelled" };
        this.retire(seq, () => seq.resolve(result));
      }
    }
  }

  /** Removes the sequence from the batch or queue, drops its KV cache, then settles its promise. */
  private retire(seq: Sequence, settle: () => void): void {
    for (const list of [this.waiting, this.running]) {
      const at = list.indexOf(seq);
      if (at >= 0) list.splice(at, 1);
    }
    seq.cache = undefined;
    seq.pending.length = 0;
    settle();
  }
}
