import { ConfigError } from "../util/errors.js";
import type { Rng } from "../util/rng.js";

/** How the next token is chosen (transformers' names and order). temperature 0 (the default) = greedy. */
export interface SamplingOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  /** > 1 discourages tokens already in the sequence (prompt included), as transformers does. */
  repetitionPenalty?: number;
  /** OpenAI's: subtracted from a token's logit once per time it was generated (prompt excluded), in [-2, 2]. */
  frequencyPenalty?: number;
  /** OpenAI's: subtracted from a token's logit if it was generated at all (prompt excluded), in [-2, 2]. */
  presencePenalty?: number;
}

export function checkSampling(options: SamplingOptions): void {
  const { temperature = 0, topK = 0, topP = 1, minP = 0, repetitionPenalty = 1 } = options;
  if (!(temperature >= 0)) throw new ConfigError(`temperature must be >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new ConfigError(`top_k must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new ConfigError(`top_p must be in (0, 1], got ${topP}`);
  if (!(minP >= 0 && minP <= 1)) throw new ConfigError(`min_p must be in [0, 1], got ${minP}`);
  if (!(repetitionPenalty > 0)) throw new ConfigError(`repetition_penalty must be > 0, got ${repetitionPenalty}`);
  for (const [name, value] of [["frequency_penalty", options.frequencyPenalty ?? 0], ["presence_penalty", options.presencePenalty ?? 0]] as const) {
    if (!(value >= -2 && value <= 2)) throw new ConfigError(`${name} must be in [-2, 2], got ${value}`);
  }
}

/**
 * The next token from one row of logits: repetition penalty, frequency and presence penalties (over
 * history[promptLength:], the generated part), then greedy argmax (temperature 0) or temperature → top-k →
 * top-p → min-p → a draw from the renormalized distribution.
 */
export function pickToken(
  logits: ArrayLike<number>,
  history: readonly number[],
  options: SamplingOptions,
  rng: Rng,
  promptLength = history.length,
): number {
  const scores = Float64Array.from(logits);
  applyRepetitionPenalty(scores, history, options.repetitionPenalty ?? 1);
  applyOpenAiPenalties(scores, history.slice(promptLength), options.frequencyPenalty ?? 0, options.presencePenalty ?? 0);
  const temperature = options.temperature ?? 0;
  if (temperature === 0) return argmax(scores);
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
  let kept = options.topK ? order.slice(0, options.topK) : order;
  const probs = softmax(kept.map((i) => scores[i] / temperature));
  let n = probs.length;
  if ((options.topP ?? 1) < 1) {
    // Smallest prefix of the sorted tokens whose mass reaches top_p (at least one token).
    let mass = 0;
    for (n = 0; n < probs.length && mass < (options.topP ?? 1); n++) mass += probs[n];
  }
  if (options.minP) {
    const floor = options.minP * probs[0];
    let m = 1;
    while (m < n && probs[m] >= floor) m++;
    n = m;
  }
  kept = kept.slice(0, n);
  const final = probs.slice(0, n);
  const total = final.reduce((s, p) => s + p, 0);
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= final[i];
    if (u < 0) return kept[i];
  }
  return kept[n - 1];
}

/** transformers' RepetitionPenaltyLogitsProcessor: a seen token's logit is divided by p if positive, else times p. */
function applyRepetitionPenalty(scores: Float64Array, history: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(history)) scores[id] = scores[id] > 0 ? scores[id] / penalty : scores[id] * penalty;
}

/** OpenAI's rule: logit[j] −= count[j]·frequency + (count[j] > 0)·presence, counting generated tokens. */
function applyOpenAiPenalties(scores: Float64Array, generated: readonly number[], frequency: number, presence: number): void {
  if (frequency === 0 && presence === 0) return;
  const counts = new Map<number, number>();
  for (const id of generated) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) scores[id] -= count * frequency + presence;
}

/** Index of the largest score (the lowest index on ties, as torch.argmax). */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/** Softmax of values sorted in descending order (the first is the largest). */
function softmax(values: number[]): number[] {
  const max = values[0];
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / sum);
}
