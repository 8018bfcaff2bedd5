import { Tensor } from "../tensor/index.js";
import { Rng } from "../util/rng.js";

/**
 * Inverted dropout as torch.nn.Dropout: each element kept with probability 1 − p and scaled by 1/(1 − p).
 * The mask depends only on (seed, stream), so a recomputed forward (gradient checkpointing) draws the same one.
 */
export function dropoutMask(numel: number, p: number, seed: number, stream: number): Float32Array {
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0);
  const keep = 1 / (1 - p);
  const mask = new Float32Array(numel);
  for (let i = 0; i < numel; i++) mask[i] = rng.next() < p ? 0 : keep;
  return mask;
}

/** x ⊙ mask as a new tensor of x's dtype. */
export function applyMask(x: Tensor, mask: Float32Array): Tensor {
  const out = Tensor.zeros(x.shape, x.dtype);
  for (let i = 0; i < mask.length; i++) out.data[i] = x.data[i] * mask[i];
  return out;
}
