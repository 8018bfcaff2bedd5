import { checkRmsNorm, checkRmsNormBackward } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

/** The weight as f32 (a [D] vector: converting a bf16 one costs nothing next to the rows). */
function weightF32(weight: Tensor): Float32Array {
  return weight.dtype === "f32" ? f32Data(weight) : f32Data(weight.to("f32"));
}

export function cpuRmsNorm(x: Tensor, weight: Tensor, eps: number): { y: Tensor; rstd: Tensor } {
  const { rows, dim } = checkRmsNorm(x, weight, eps);
  f32("rmsNorm", { x });
  const y = Tensor.empty([rows, dim]);
  const rstd = Tensor.empty([rows]);
  if (dim > 0) nativeAddon().rmsNorm(f32Data(x), weightF32(weight), eps, rows, dim, f32Data(y), f32Data(rstd));
  return { y, rstd };
}

export function cpuRmsNormBackward(dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor): Tensor {
  const { rows, dim } = checkRmsNormBackward(dy, x, weight, rstd);
  f32("rmsNormBackward", { dy, x, rstd });
  const dx = Tensor.empty([rows, dim]);
  if (dim > 0) nativeAddon().rmsNormBackward(f32Data(dy), f32Data(x), weightF32(weight), f32Data(rstd), rows, dim, f32Data(dx));
  return dx;
}
