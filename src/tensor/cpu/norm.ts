import { checkRmsNorm, checkRmsNormBackward } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { releaseTensors } from "../arena.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

/**
 * Calls `use` with the weight as f32 (a [D] vector: converting a bf16 one costs nothing next to the rows); the
 * converted copy goes back to the step arena afterwards.
 */
function withWeightF32(weight: Tensor, use: (w: Float32Array) => void): void {
  const w = weight.dtype === "f32" ? weight : weight.to("f32");
  use(f32Data(w));
  if (w !== weight) releaseTensors(w);
}

export function cpuRmsNorm(x: Tensor, weight: Tensor, eps: number): { y: Tensor; rstd: Tensor } {
  const { rows, dim } = checkRmsNorm(x, weight, eps);
  f32("rmsNorm", { x });
  const y = Tensor.empty([rows, dim]);
  const rstd = Tensor.empty([rows]);
  if (dim > 0) withWeightF32(weight, (w) => nativeAddon().rmsNorm(f32Data(x), w, eps, rows, dim, f32Data(y), f32Data(rstd)));
  return { y, rstd };
}

export function cpuRmsNormBackward(dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor): Tensor {
  const { rows, dim } = checkRmsNormBackward(dy, x, weight, rstd);
  f32("rmsNormBackward", { dy, x, rstd });
  const dx = Tensor.empty([rows, dim]);
  if (dim > 0) withWeightF32(weight, (w) => nativeAddon().rmsNormBackward(f32Data(dy), f32Data(x), w, f32Data(rstd), rows, dim, f32Data(dx)));
  return dx;
}
