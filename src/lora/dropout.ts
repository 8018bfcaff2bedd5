/**
 * The key of one module's dropout mask in one micro-batch: a function of (seed, stream) only, so a recomputed
 * forward (gradient checkpointing) and the backward draw the same mask (see Backend.dropout).
 */
export function dropoutKey(seed: number, stream: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
}
