import { checkRmsNorm, checkRmsNormBackward } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

/** y = w · x · rstd per row, rstd = 1 / sqrt(mean(x²) + eps). */
export function referenceRmsNorm(x: Tensor, weight: Tensor, eps: number): { y: Tensor; rstd: Tensor } {
  const { rows, dim } = checkRmsNorm(x, weight, eps);
  const xv = toF64(x);
  const wv = toF64(weight);
  const y = new Float64Array(rows * dim);
  const rstd = new Float64Array(rows);
  for (let t = 0; t < rows; t++) {
    let ss = 0;
    for (let d = 0; d < dim; d++) ss += xv[t * dim + d] ** 2;
    const r = 1 / Math.sqrt(ss / dim + eps);
    rstd[t] = r;
    for (let d = 0; d < dim; d++) y[t * dim + d] = wv[d] * xv[t * dim + d] * r;
  }
  return { y: new Tensor("f64", [rows, dim], y), rstd: new Tensor("f64", [rows], rstd) };
}

/** dx = r·(w∘dy) − r³/D · x · Σ(w∘dy∘x), the weight held fixed. */
export function referenceRmsNormBackward(dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor): Tensor {
  const { rows, dim } = checkRmsNormBackward(dy, x, weight, rstd);
  const dyv = toF64(dy);
  const xv = toF64(x);
  const wv = toF64(weight);
  const rv = toF64(rstd);
  const dx = new Float64Array(rows * dim);
  for (let t = 0; t < rows; t++) {
    const r = rv[t];
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += wv[d] * dyv[t * dim + d] * xv[t * dim + d];
    const c = (r * r * r * dot) / dim;
    for (let d = 0; d < dim; d++) dx[t * dim + d] = r * wv[d] * dyv[t * dim + d] - c * xv[t * dim + d];
  }
  return new Tensor("f64", [rows, dim], dx);
}
