import { Rng } from "../../src/util/rng.js";
import { Tensor } from "../../src/tensor/index.js";
import type { DType } from "../../src/tensor/index.js";

/** A tensor of uniform values in [-scale, scale), reproducible from the seed. */
export function randomTensor(shape: number[], seed: number, dtype: DType = "f32", scale = 1): Tensor {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape, dtype);
  for (let i = 0; i < t.numel; i++) t.set(i, rng.uniform(-scale, scale));
  return t;
}

/** ‖a − b‖_F / ‖b‖_F, in float64 (b is the reference). */
export function relativeError(actual: Tensor, reference: Tensor): number {
  if (actual.numel !== reference.numel) throw new Error(`size mismatch ${actual.numel} vs ${reference.numel}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < actual.numel; i++) {
    const r = reference.get(i);
    const d = actual.get(i) - r;
    diff += d * d;
    norm += r * r;
  }
  if (norm === 0) return Math.sqrt(diff);
  return Math.sqrt(diff / norm);
}

/** True when both tensors hold the same bits. */
export function bitIdentical(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.numel !== b.numel) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return Buffer.compare(x, y) === 0;
}
