import { ShapeError } from "../../util/errors.js";
import type { GemmOptions } from "../gemm-ops.js";
import { resolveGemm } from "../gemm-ops.js";
import { Tensor, shapeString } from "../tensor.js";
import { roundedToBf16, toF64 } from "./convert.js";

/** C = alpha·op(A)·op(B) + beta·C in float64, the textbook triple loop (bf16: on operands rounded to bf16). */
export function referenceGemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor {
  const s = resolveGemm(a, b, options);
  if (a.dtype === "i32" || b.dtype === "i32") throw new ShapeError(`gemm: float operands needed, got ${shapeString(a)} and ${shapeString(b)}`);
  const av = options.bf16 ? roundedToBf16(toF64(a)) : toF64(a);
  const bv = options.bf16 ? roundedToBf16(toF64(b)) : toF64(b);
  const out = options.out ?? Tensor.zeros([s.m, s.n], "f64");
  const lda = a.shape[1];
  const ldb = b.shape[1];
  for (let i = 0; i < s.m; i++) {
    for (let j = 0; j < s.n; j++) {
      let sum = 0;
      for (let p = 0; p < s.k; p++) {
        const x = s.transA ? av[p * lda + i] : av[i * lda + p];
        const y = s.transB ? bv[j * ldb + p] : bv[p * ldb + j];
        sum += x * y;
      }
      const idx = i * s.n + j;
      out.set(idx, s.beta === 0 ? s.alpha * sum : s.alpha * sum + s.beta * out.get(idx));
    }
  }
  return out;
}
