import type { DType } from "../tensor/index.js";
import { Tensor } from "../tensor/index.js";
import { ShapeError } from "../util/errors.js";

/** One layer's keys (after RoPE) and values, [capacity, Hkv, hd], filled from row 0 up. */
export class LayerKvCache {
  readonly k: Tensor;
  readonly v: Tensor;

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

  /** A multi-token call must start an empty cache: its attention then sees only its own rows. */
  requirePrefill(start: number): void {
    if (start !== 0) throw new ShapeError(`KV cache: a multi-token call must start at position 0, not ${start}`);
  }
}

/** The KV caches of every layer, and how many positions they hold. */
export class KvCache {
  readonly layers: LayerKvCache[];
  length = 0;

  constructor(layers: number, capacity: number, kvHeads: number, headDim: number, dtype: DType) {
    this.layers = Array.from({ length: layers }, () => new LayerKvCache(capacity, kvHeads, headDim, dtype));
  }
}
