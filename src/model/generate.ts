import { linear } from "../tensor/index.js";
import { i32 } from "./batch.js";
import type { ContinuationOptions, FinishReason } from "./continuation.js";
import { Continuation } from "./continuation.js";
import { decoderForward } from "./decoder.js";
import type { Model } from "./model.js";
import { forwardSequences, newKvCache } from "./sequence-forward.js";

export interface GenerateOptions extends ContinuationOptions {
  /** Called with each new token as soon as it is chosen (streaming), and the sequence's state. */
  onToken?: (id: number, state: Continuation) => void;
  /** false recomputes the whole sequence for every token instead of using a KV cache (for checks). */
  useCache?: boolean;
}

export interface GenerateResult {
  /** The new tokens (the eos token included when it ended the generation). */
  tokens: number[];
  /** The decoded continuation, cut before a stop string; present when `decode` was given. */
  text?: string;
  finishReason: FinishReason;
}

/**
 * Continues `promptIds` with the attached adapters applied (no dropout): the server's batched step
 * (forwardSequences) with one sequence, and the same per-sequence sampler (Continuation).
 */
export function generate(model: Model, promptIds: readonly number[], options: GenerateOptions = {}): GenerateResult {
  const continuation = new Continuation(promptIds, options, model.eosTokenIds);
  const step = options.useCache === false ? recomputingStep(model) : cachedStep(model, promptIds.length + continuation.maxNewTokens);
  let fresh = [...promptIds];
  while (!continuation.done) {
    const id = continuation.next(step(fresh));
    options.onToken?.(id, continuation);
    fresh = [id];
  }
  return {
    tokens: continuation.tokens,
    finishReason: continuation.finishReason ?? "length",
    ...(options.decode ? { text: continuation.text() } : {}),
  };
}

/** A step over a KV cache: feeds the new tokens and returns the next logits. */
function cachedStep(model: Model, capacity: number) {
  const cache = newKvCache(model, capacity);
  return (ids: readonly number[]) => forwardSequences(model, [{ cache, ids, adapters: model.adapters, logits: true }])[0]!;
}

/** A step that runs the whole sequence every time (the reference for the cached one). */
function recomputingStep(model: Model) {
  const sequence: number[] = [];
  return (ids: readonly number[]) => {
    sequence.push(...ids);
    const all = Int32Array.from(sequence);
    const layout = { positions: i32(Int32Array.from(all, (_, i) => i)), segmentIds: i32(new Int32Array(all.length)) };
    const { hidden } = decoderForward(model, i32(all), layout, { training: false, dropoutSeed: 0 }, "nothing");
    const d = hidden.shape[1];
    return linear(model.backend, hidden.rows(all.length - 1, 1).reshape([1, d]), model.weights.lmHead, undefined, 0, model.computeDtype === "bf16").data as Float32Array | Float64Array;
  };
}
