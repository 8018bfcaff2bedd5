// The workload bench/serve runs on both sides.
import { Rng } from "../../src/util/rng.js";

/** One stream alone: time to first token over this prompt, then decode tokens/s over these new tokens. */
export const SINGLE = { promptTokens: 128, newTokens: 32 };
/** Several concurrent streams: each this prompt and this many new tokens; aggregate = all new tokens / wall time. */
export const AGGREGATE = { promptTokens: 32, newTokens: 16 };

/** A seeded random prompt of token ids in [100, 32000): past the special tokens, inside any vocabulary we bench. */
export function promptIds(length: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length }, () => 100 + Math.floor(rng.next() * 31900));
}
