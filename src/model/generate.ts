import { Tensor, linear } from "../tensor/index.js";
import { ConfigError } from "../util/errors.js";
import { Rng } from "../util/rng.js";
import { i32 } from "./batch.js";
import { decoderForward } from "./decoder.js";
import { KvCache } from "./kv-cache.js";
import type { Model } from "./model.js";
import { activationDtype } from "./model-backend.js";
import type { SamplingOptions } from "./sampling.js";
import { checkSampling, pickToken } from "./sampling.js";

export interface GenerateOptions extends SamplingOptions {
  /** Default 256. */
  maxNewTokens?: number;
  /** Seed of the sampler (ignored when greedy). */
  seed?: number;
  /** Stop after emitting one of these ids (default: the model's eos ids, end-of-turn included). */
  eosTokenIds?: readonly number[];
  /** Stop when the decoded continuation contains one of these; needs `decode`. The text ends before it. */
  stopStrings?: readonly string[];
  decode?: (ids: number[]) => string;
  /** Called with each new token as soon as it is chosen (streaming). */
  onToken?: (id: number) => void;
  /** false recomputes the whole sequence for every token instead of using a KV cache (for checks). */
  useCache?: boolean;
}

export interface GenerateResult {
  /** The new tokens (the eos token included when it ended the generation). */
  tokens: number[];
  /** The decoded continuation, cut before a stop string; present when `decode` was given. */
  text?: string;
  finishReason: "eos" | "stop" | "length";
}

/** Continues `promptIds` with the attached adapters applied (no dropout). */
export function generate(model: Model, promptIds: readonly number[], options: GenerateOptions = {}): GenerateResult {
  checkSampling(options);
  const maxNewTokens = options.maxNewTokens ?? 256;
  if (promptIds.length === 0) throw new ConfigError("generate: the prompt is empty");
  if (options.stopStrings?.length && !options.decode) throw new ConfigError("generate: stop strings need a decode function");
  const eos = new Set(options.eosTokenIds ?? model.eosTokenIds);
  const rng = new Rng(options.seed ?? 0);
  const step = options.useCache === false ? recomputingStep(model) : cachedStep(model, promptIds.length + maxNewTokens);
  const sequence = [...promptIds];
  const tokens: number[] = [];
  let logits = step(sequence, sequence.length);
  for (let n = 0; n < maxNewTokens; n++) {
    const id = pickToken(logits, sequence, options, rng);
    tokens.push(id);
    sequence.push(id);
    options.onToken?.(id);
    if (eos.has(id)) return finish(tokens, "eos", options);
    const stopped = stopText(tokens, options);
    if (stopped !== undefined) return { tokens, text: stopped, finishReason: "stop" };
    if (n + 1 < maxNewTokens) logits = step(sequence, 1);
  }
  return finish(tokens, "length", options);
}

function finish(tokens: number[], finishReason: GenerateResult["finishReason"], options: GenerateOptions): GenerateResult {
  return { tokens, finishReason, ...(options.decode ? { text: options.decode(tokens) } : {}) };
}

/** The continuation cut before the first stop string it contains, or undefined. */
function stopText(tokens: number[], options: GenerateOptions): string | undefined {
  if (!options.stopStrings?.length || !options.decode) return undefined;
  const text = options.decode(tokens);
  let cut = -1;
  for (const s of options.stopStrings) {
    const at = text.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut >= 0 ? text.slice(0, cut) : undefined;
}

/** Logits [V] of the last row of hidden states [T, D]. */
function lastLogits(model: Model, hidden: Tensor): Float32Array | Float64Array {
  const [tokens, d] = hidden.shape;
  const last = new Tensor(hidden.dtype, [1, d], hidden.data.subarray((tokens - 1) * d) as Float32Array | Float64Array);
  return linear(model.backend, last, model.weights.lmHead, undefined, 0, model.computeDtype === "bf16").data as Float32Array | Float64Array;
}

/** A step function over a KV cache: feeds the sequence's last `fresh` tokens and returns the next logits. */
function cachedStep(model: Model, capacity: number) {
  const { config, attention } = model;
  const cache = new KvCache(config.numLayers, capacity, attention.kvHeads, attention.headDim, activationDtype(model.backend));
  return (sequence: number[], fresh: number) => {
    const ids = Int32Array.from(sequence.slice(sequence.length - fresh));
    const positions = Int32Array.from(ids, (_, i) => cache.length + i);
    const layout = { positions: i32(positions), segmentIds: i32(new Int32Array(ids.length)) };
    const { hidden } = decoderForward(model, i32(ids), layout, { training: false, dropoutSeed: 0 }, "nothing", cache);
    return lastLogits(model, hidden);
  };
}

/** A step function that runs the whole sequence every time (the reference for the cached one). */
function recomputingStep(model: Model) {
  return (sequence: number[]) => {
    const ids = Int32Array.from(sequence);
    const layout = { positions: i32(Int32Array.from(ids, (_, i) => i)), segmentIds: i32(new Int32Array(ids.length)) };
    const { hidden } = decoderForward(model, i32(ids), layout, { training: false, dropoutSeed: 0 }, "nothing");
    return lastLogits(model, hidden);
  };
}
