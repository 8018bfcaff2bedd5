import type { DType } from "../tensor/index.js";
import { Tensor } from "../tensor/index.js";
import { ShapeError } from "../util/errors.js";

/** One layer's keys (after RoPE) and values, [capacity, Hkv, hd], filled from row 0 up. */
export class LayerKvCache {
  k: Tensor;
  v: Tensor;

  constructor(capacity: number, kvHeads: number, headDim: number, dtype: DType) {
    this.k = Tensor.zeros([capacity, kvHeads, headDim], dtype);
    this.v = Tensor.zeros([capacity, kvHeads, headDim], dtype);
  }

  get capacity(): number {
    return this.k.shape[0];
  }

  /** Copies k, v [T, Hkv, hd] into rows [start, start + T). */
  write(start: number, k: Tensor, v: Tensor): void {
    const tokens = k.shape[0];
    if (start + tokens > this.capacity) {
      throw new ShapeError(`KV cache: ${start + tokens} positions exceed its capacity of ${this.capacity}`);
    }
    const rowSize = this.k.numel / this.capacity;
    this.k.data.set(k.data, start * rowSize);
    this.v.data.set(v.data, start * rowSize);
  }

  /** Reallocates to `capacity` rows, keeping the first `keep`. */
  resize(capacity: number, keep: number): void {
    const [, kvHeads, headDim] = this.k.shape;
    const rowSize = kvHeads * headDim;
    for (const name of ["k", "v"] as const) {
      const next = Tensor.zeros([capacity, kvHeads, headDim], this[name].dtype);
      next.data.set(this[name].data.subarray(0, keep * rowSize));
      this[name] = next;
    }
  }
}

/**
 * The KV caches of every layer, and how many positions they hold. It starts small and doubles on demand up to
 * `limit`, so a server holding many sequences pays for the tokens they have, not for their maximum length.
 */
export class KvCache {
  readonly layers: LayerKvCache[];
  length = 0;

  constructor(
    layers: number,
    capacity: number,
    kvHeads: number,
    headDim: number,
    dtype: DType,
    readonly limit = capacity,
  ) {
    this.layers = Array.from({ length: layers }, () => new LayerKvCache(Math.min(capacity, limit), kvHeads, headDim, dtype));
  }

  get capacity(): number {
    return this.layers[0]?.capacity ?? 0;
  }

  /** Makes room for `positions` in all, growing by doubling; more than `limit` is an error. */
  reserve(positions: number): void {
    if (positions <= this.capacity) return;
    if (positions > this.limit) throw new ShapeError(`KV cache: ${positions} positions exceed its limit of ${this.limit}`);
    const capacity = Math.min(this.limit, Math.max(positions, 2 * this.capacity));
    for (const layer of this.layers) layer.resize(capacity, this.length);
  }
}
