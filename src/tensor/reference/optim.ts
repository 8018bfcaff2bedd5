import type { AdamWHyper } from "../kernel-ops.js";
import { checkAdamW, checkGradList, checkSameShape, checkScalars } from "../kernel-shapes.js";
import type { Tensor } from "../tensor.js";

/** In-place updates computed in float64 and stored back in each tensor's own dtype. */

export function referenceAxpy(y: Tensor, x: Tensor, alpha: number): void {
  const n = checkSameShape("axpy", { y, x });
  checkScalars("axpy", { alpha });
  for (let i = 0; i < n; i++) y.set(i, y.get(i) + alpha * x.get(i));
}

/** torch.optim.AdamW (single-tensor path): decay, lerp of m, v update, bias-corrected step. */
export function referenceAdamwStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: AdamWHyper): void {
  const n = checkAdamW(param, grad, m, v, hyper);
  const { lr, beta1, beta2, eps, weightDecay, step } = hyper;
  const stepSize = lr / (1 - beta1 ** step);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < n; i++) {
    const g = grad.get(i);
    const p = param.get(i) * (1 - lr * weightDecay);
    const mi = m.get(i) + (1 - beta1) * (g - m.get(i));
    const vi = beta2 * v.get(i) + (1 - beta2) * g * g;
    m.set(i, mi);
    v.set(i, vi);
    param.set(i, p - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}

export function referenceSgdStep(param: Tensor, grad: Tensor, lr: number, weightDecay: number): void {
  const n = checkSameShape("sgdStep", { param, grad });
  checkScalars("sgdStep", { lr, weightDecay });
  for (let i = 0; i < n; i++) param.set(i, param.get(i) - lr * (grad.get(i) + weightDecay * param.get(i)));
}

export function referenceGradNorm(grads: Tensor[]): number {
  checkGradList("gradNorm", grads);
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.numel; i++) sum += g.get(i) ** 2;
  return Math.sqrt(sum);
}

export function referenceClipGradNorm(grads: Tensor[], maxNorm: number): number {
  checkGradList("clipGradNorm", grads);
  checkScalars("clipGradNorm", { maxNorm });
  const norm = referenceGradNorm(grads);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  if (coef < 1) for (const g of grads) for (let i = 0; i < g.numel; i++) g.set(i, g.get(i) * coef);
  return norm;
}
