import type { AdamWHyper } from "../kernel-ops.js";
import { checkAdamW, checkGradList, checkSameShape, checkScalars } from "../kernel-shapes.js";
import type { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

export function cpuAxpy(y: Tensor, x: Tensor, alpha: number): void {
  checkSameShape("axpy", { y, x });
  checkScalars("axpy", { alpha });
  f32("axpy", { y, x });
  nativeAddon().axpy(f32Data(y), f32Data(x), alpha);
}

export function cpuAdamwStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: AdamWHyper): void {
  checkAdamW(param, grad, m, v, hyper);
  f32("adamwStep", { param, grad, m, v });
  const h = hyper;
  nativeAddon().adamw(f32Data(param), f32Data(grad), f32Data(m), f32Data(v), h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.step);
}

export function cpuSgdStep(param: Tensor, grad: Tensor, lr: number, weightDecay: number): void {
  checkSameShape("sgdStep", { param, grad });
  checkScalars("sgdStep", { lr, weightDecay });
  f32("sgdStep", { param, grad });
  nativeAddon().sgd(f32Data(param), f32Data(grad), lr, weightDecay);
}

/** Per-tensor sums of squares (each blocked in a fixed order natively), added in list order. */
export function cpuGradNorm(grads: Tensor[]): number {
  checkGradList("gradNorm", grads);
  grads.forEach((g, i) => f32("gradNorm", { [`grads[${i}]`]: g }));
  let sum = 0;
  for (const g of grads) sum += nativeAddon().sumSquares(f32Data(g));
  return Math.sqrt(sum);
}

export function cpuClipGradNorm(grads: Tensor[], maxNorm: number): number {
  checkScalars("clipGradNorm", { maxNorm });
  const norm = cpuGradNorm(grads);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  if (coef < 1) for (const g of grads) nativeAddon().scale(f32Data(g), coef);
  return norm;
}
