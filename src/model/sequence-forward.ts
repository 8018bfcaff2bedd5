import { Tensor, linear } from "../tensor/index.js";
import { i32 } from "./batch.js";
import { decoderForward } from "./decoder.js";
import { KvCache } from "./kv-cache.js";
import type { AdapterBackward, AdapterCall, LinearAdapter } from "./linear-adapter.js";
import type { Model } from "./model.js";
import { activationDtype } from "./model-backend.js";
import type { ModelBackend } from "./model-backend.js";

/** New tokens of one sequence for a batched inference step, with the adapters (by module path) it runs with. */
export interface SequenceStep {
  cache: KvCache;
  ids: readonly number[];
  adapters: ReadonlyMap<string, LinearAdapter>;
  /** Whether the logits of its last token are wanted (false for a prefill chunk that is not the last). */
  logits: boolean;
}

const INFERENCE: AdapterCall = { training: false, dropoutSeed: 0 };

/** An empty KV cache for one sequence of this model, growing on demand up to `limit` positions. */
export function newKvCache(model: Model, limit: number, initial = 64): KvCache {
  const { config } = model;
  return new KvCache(config.numLayers, initial, config.numKvHeads, config.headDim, activationDtype(model.backend), limit);
}

/**
 * One forward over the new tokens of several sequences at once: every base projection is one GEMM over all rows,
 * each sequence adds its own adapters' terms on its rows, each attends over its own KV cache. Returns the
 * next-token logits [V] of each sequence that asked for them (undefined for the others).
 *
 * Batch invariance: a row's arithmetic never depends on the other rows (the GEMM's per-row reduction does not
 * depend on M, attention is per row), so a sequence's results are bit-identical alone or batched.
 */
export function forwardSequences(model: Model, steps: readonly SequenceStep[]): Array<Float32Array | Float64Array | undefined> {
  const ids: number[] = [];
  const positions: number[] = [];
  for (const step of steps) {
    step.cache.reserve(step.cache.length + step.ids.length);
    for (let i = 0; i < step.ids.length; i++) {
      ids.push(step.ids[i]);
      positions.push(step.cache.length + i);
    }
  }
  const layout = { positions: i32(Int32Array.from(positions)), segmentIds: i32(new Int32Array(ids.length)) };
  const sequences = steps.map((s) => ({ cache: s.cache, rows: s.ids.length }));
  const { hidden } = decoderForward(model, i32(Int32Array.from(ids)), layout, INFERENCE, "nothing", { sequences, adapters: groupedAdapters(steps) });
  return lastRowLogits(model, hidden, steps);
}

/** lm_head over the last row of each sequence that wants logits, as one GEMM. */
function lastRowLogits(model: Model, hidden: Tensor, steps: readonly SequenceStep[]): Array<Float32Array | Float64Array | undefined> {
  const d = hidden.shape[1];
  const wanted: number[] = [];
  let end = 0;
  for (const step of steps) {
    end += step.ids.length;
    if (step.logits) wanted.push(end - 1);
  }
  if (wanted.length === 0) return steps.map(() => undefined);
  const last = Tensor.zeros([wanted.length, d], hidden.dtype);
  wanted.forEach((row, i) => last.data.set(hidden.data.subarray(row * d, (row + 1) * d), i * d));
  const logits = linear(model.backend, last, model.weights.lmHead, undefined, 0, model.computeDtype === "bf16").data as Float32Array | Float64Array;
  const vocab = logits.length / wanted.length;
  let next = 0;
  return steps.map((step) => (step.logits ? logits.subarray(vocab * next, vocab * ++next) : undefined));
}

/** Per module path, an adapter that applies each sequence's own adapter to that sequence's rows. */
function groupedAdapters(steps: readonly SequenceStep[]): Map<string, LinearAdapter> {
  const paths = new Set(steps.flatMap((s) => [...s.adapters.keys()]));
  const grouped = new Map<string, LinearAdapter>();
  for (const path of paths) {
    const groups: RowGroup[] = [];
    let row = 0;
    for (const step of steps) {
      const adapter = step.adapters.get(path);
      const prev = groups.at(-1);
      if (adapter && prev && prev.adapter === adapter && prev.start + prev.rows === row) prev.rows += step.ids.length;
      else if (adapter) groups.push({ adapter, start: row, rows: step.ids.length });
      row += step.ids.length;
    }
    grouped.set(path, new RowGroupedAdapter(groups));
  }
  return grouped;
}

interface RowGroup {
  adapter: LinearAdapter;
  start: number;
  rows: number;
}

/** Adapters applied to row ranges of one call (inference only): rows of one adapter go through it as one block. */
class RowGroupedAdapter implements LinearAdapter {
  constructor(private readonly groups: readonly RowGroup[]) {}

  forward(backend: ModelBackend, x: Tensor, y: Tensor, call: AdapterCall): AdapterBackward {
    for (const { adapter, start, rows } of this.groups) adapter.forward(backend, x.rows(start, rows), y.rows(start, rows), call);
    return () => {
      throw new Error("RowGroupedAdapter: inference only, there is no backward");
    };
  }
}
