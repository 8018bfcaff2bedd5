import { ShapeError } from "../../util/errors.js";
import type { GemmOptions } from "../gemm-ops.js";
import { resolveGemm } from "../gemm-ops.js";
import { Tensor, shapeString } from "../tensor.js";
import { nativeAddon } from "./addon.js";

/** C = alpha·op(A)·op(B) + beta·C on the native kernels: A and C f32, B f32 or bf16. */
export function cpuGemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor {
  const s = resolveGemm(a, b, options);
  if (a.dtype !== "f32") throw new ShapeError(`gemm: a must be f32, got ${shapeString(a)}`);
  if (b.dtype !== "f32" && b.dtype !== "bf16") throw new ShapeError(`gemm: b must be f32 or bf16, got ${shapeString(b)}`);
  const out = options.out ?? Tensor.empty([s.m, s.n]); // beta is 0 without out: C is written, never read
  if (out.dtype !== "f32") throw new ShapeError(`gemm: out must be f32, got ${shapeString(out)}`);
  nativeAddon().gemm(
    s.m,
    s.n,
    s.k,
    a.data as Float32Array,
    0,
    a.shape[1],
    s.transA,
    b.data as Float32Array | Uint16Array,
    0,
    b.shape[1],
    s.transB,
    b.dtype === "bf16" ? 1 : 0,
    out.data as Float32Array,
    0,
    s.n,
    s.alpha,
    s.beta,
    options.bf16 ?? false,
  );
  return out;
}
