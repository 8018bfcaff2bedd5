import { checkCrossEntropy } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { f32ToBf16, bf16ToF32 } from "../dtype.js";
import type { CrossEntropyOptions } from "../kernel-ops.js";
import { roundedToBf16, toF64 } from "./convert.js";

/**
 * Cross-entropy of h·Wᵀ against targets, one logits row at a time; −100 targets are skipped. bf16: h, W and the
 * logits' gradient are rounded to bf16 before their products, as the bf16 compute mode does.
 */
export function referenceCrossEntropyLinear(
  h: Tensor,
  w: Tensor,
  targets: Tensor,
  gradScale?: number,
  options: CrossEntropyOptions = {},
): { lossSum: number; count: number; dh?: Tensor } {
  const { tokens, dim, vocab } = checkCrossEntropy(h, w, targets, gradScale);
  const hv = options.bf16 ? roundedToBf16(toF64(h)) : toF64(h);
  const wv = options.bf16 ? roundedToBf16(toF64(w)) : toF64(w);
  const operand = (v: number) => (options.bf16 ? bf16ToF32(f32ToBf16(v)) : v);
  const dh = gradScale === undefined ? undefined : new Float64Array(tokens * dim);
  const logits = new Float64Array(vocab);
  let lossSum = 0;
  let count = 0;
  for (let t = 0; t < tokens; t++) {
    const target = targets.data[t];
    if (target === -100) continue;
    let max = -Infinity;
    for (let c = 0; c < vocab; c++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += hv[t * dim + d] * wv[c * dim + d];
      logits[c] = dot;
      max = Math.max(max, dot);
    }
    let sum = 0;
    for (let c = 0; c < vocab; c++) sum += Math.exp(logits[c] - max);
    const lse = max + Math.log(sum);
    lossSum += lse - logits[target];
    count++;
    if (!dh || gradScale === undefined) continue;
    for (let c = 0; c < vocab; c++) {
      const g = operand(gradScale * (Math.exp(logits[c] - lse) - (c === target ? 1 : 0)));
      for (let d = 0; d < dim; d++) dh[t * dim + d] += g * wv[c * dim + d];
    }
  }
  return dh ? { lossSum, count, dh: new Tensor("f64", [tokens, dim], dh) } : { lossSum, count };
}
