import { ShapeError } from "../util/errors.js";
import type { DType, TensorData } from "./dtype.js";
import { allocate, bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "./dtype.js";
import { arenaBuffer } from "./arena.js";

/**
 * A dense row-major tensor: a shape and a typed array holding exactly its elements. bf16 and f16 elements are
 * stored as their 16-bit patterns in a Uint16Array. The data may be a view into a larger buffer (a
 * memory-mapped file, say); the tensor never copies it unless asked.
 */
export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;

  constructor(dtype: DType, shape: readonly number[], data: TensorData) {
    const n = numel(shape);
    if (data.length !== n) {
      throw new ShapeError(`Tensor: shape [${shape.join(", ")}] has ${n} elements but the data holds ${data.length}`);
    }
    checkDataType(dtype, data);
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** A tensor of zeros; f32 ones come from the active step arena when there is one (src/tensor/arena.ts). */
  static zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
    const n = numel(shape);
    const reused = dtype === "f32" ? arenaBuffer(n, true) : undefined;
    return new Tensor(dtype, shape, reused ?? allocate(dtype, n));
  }

  /**
   * An f32 tensor whose values are unspecified: for a kernel's output that it writes in full. From the active step
   * arena it skips clearing a reused buffer; without one it is zeros.
   */
  static empty(shape: readonly number[]): Tensor {
    const n = numel(shape);
    return new Tensor("f32", shape, arenaBuffer(n, false) ?? allocate("f32", n));
  }

  /** A float tensor from plain numbers (f32 unless another float dtype is named). */
  static fromNumbers(shape: readonly number[], values: ArrayLike<number>, dtype: DType = "f32"): Tensor {
    const t = Tensor.zeros(shape, dtype);
    if (values.length !== t.numel) {
      throw new ShapeError(`Tensor.fromNumbers: shape [${shape.join(", ")}] needs ${t.numel} values, got ${values.length}`);
    }
    for (let i = 0; i < values.length; i++) t.set(i, values[i]);
    return t;
  }

  get numel(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Element i of the flat data, as a number (bf16/f16 decoded). */
  get(i: number): number {
    const v = this.data[i];
    if (this.dtype === "bf16") return bf16ToF32(v);
    if (this.dtype === "f16") return f16ToF32(v);
    return v;
  }

  /** Sets element i of the flat data (rounded to the tensor's dtype). */
  set(i: number, value: number): void {
    if (this.dtype === "bf16") this.data[i] = f32ToBf16(value);
    else if (this.dtype === "f16") this.data[i] = f32ToF16(value);
    else this.data[i] = value;
  }

  /** A copy converted to another dtype (float conversions round to nearest even). */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return new Tensor(dtype, this.shape, this.data.slice());
    const out = Tensor.zeros(this.shape, dtype);
    if (this.dtype === "f32" && dtype === "bf16") {
      // The common load path (dequantized weights held as bf16): one typed loop, no per-element dispatch.
      const src = this.data as Float32Array;
      const bits = out.data as Uint16Array;
      for (let i = 0; i < src.length; i++) bits[i] = f32ToBf16(src[i]);
      return out;
    }
    for (let i = 0; i < this.numel; i++) out.set(i, this.get(i));
    return out;
  }

  /** Same data, another shape with the same element count. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.dtype, shape, this.data);
  }

  /** Rows [first, first + count) along the first dimension: a view sharing this tensor's data. */
  rows(first: number, count: number): Tensor {
    const rowSize = this.shape[0] === 0 ? 0 : this.numel / this.shape[0];
    return new Tensor(this.dtype, [count, ...this.shape.slice(1)], this.data.subarray(first * rowSize, (first + count) * rowSize));
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(", ")}])`;
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`Tensor: invalid dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

function checkDataType(dtype: DType, data: TensorData): void {
  const ok =
    (dtype === "f32" && data instanceof Float32Array) ||
    (dtype === "f64" && data instanceof Float64Array) ||
    ((dtype === "bf16" || dtype === "f16") && data instanceof Uint16Array) ||
    (dtype === "i32" && data instanceof Int32Array);
  if (!ok) throw new ShapeError(`Tensor: dtype ${dtype} cannot hold a ${data.constructor.name}`);
}

export function shapeString(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(", ")}]`;
}
