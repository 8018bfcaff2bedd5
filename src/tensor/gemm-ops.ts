import { ShapeError } from "../util/errors.js";
import type { Tensor } from "./tensor.js";
import { shapeString } from "./tensor.js";

export interface GemmOptions {
  /** Use Aᵀ: `a` is stored [K, M]. */
  transA?: boolean;
  /** Use Bᵀ: `b` is stored [N, K] (a linear weight [out, in]). */
  transB?: boolean;
  alpha?: number;
  /** Accumulate: C = alpha·op(A)·op(B) + beta·C. Needs `out`. */
  beta?: number;
  /** Where to write C [M, N]; a new tensor when absent. */
  out?: Tensor;
  /**
   * The bf16 compute mode: both operands rounded to bf16 (nearest-even) before the products, which are then
   * summed in f32 (f64 on the reference backend). See docs/performance.md.
   */
  bf16?: boolean;
}

/** Matrix products. `C = alpha·op(A)·op(B) + beta·C`, computed in f32 (cpu) or f64 (reference). */
export interface GemmOps {
  gemm(a: Tensor, b: Tensor, options?: GemmOptions): Tensor;
}

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
}

/** Checks ranks and inner dimensions; returns M, N, K. Dtype rules are each backend's own. */
export function resolveGemm(a: Tensor, b: Tensor, options: GemmOptions = {}): GemmShape {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const alpha = options.alpha ?? 1;
  const beta = options.beta ?? 0;
  const describe = () =>
    `gemm: a ${shapeString(a)}${transA ? "ᵀ" : ""} · b ${shapeString(b)}${transB ? "ᵀ" : ""}` +
    (options.out ? ` → out ${shapeString(options.out)}` : "");
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`${describe()}: both operands must be 2-D`);
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) throw new ShapeError(`${describe()}: inner dimensions differ (${ka} vs ${kb})`);
  if (options.out && (options.out.rank !== 2 || options.out.shape[0] !== m || options.out.shape[1] !== n)) {
    throw new ShapeError(`${describe()}: out must be [${m}, ${n}]`);
  }
  if (beta !== 0 && !options.out) throw new ShapeError(`${describe()}: beta ${beta} needs an out tensor to accumulate into`);
  if (!Number.isFinite(alpha) || !Number.isFinite(beta)) throw new ShapeError(`${describe()}: alpha and beta must be finite`);
  return { m, n, k: ka, transA, transB, alpha, beta };
}
