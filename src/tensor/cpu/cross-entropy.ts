import type { CrossEntropyOptions } from "../kernel-ops.js";
import { checkCrossEntropy } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data, weightArg } from "./common.js";

export function cpuCrossEntropyLinear(
  h: Tensor,
  w: Tensor,
  targets: Tensor,
  gradScale?: number,
  options: CrossEntropyOptions = {},
): { lossSum: number; count: number; dh?: Tensor } {
  const { tokens, dim, vocab } = checkCrossEntropy(h, w, targets, gradScale);
  f32("crossEntropyLinear", { h });
  const weight = weightArg("crossEntropyLinear", { h, w, targets }, "w");
  const dh = gradScale === undefined ? undefined : Tensor.empty([tokens, dim]);
  let lossSum: number;
  let count: number;
  if (dim === 0) {
    // Every logit is 0: each counted row loses log V, and dh is empty.
    count = (targets.data as Int32Array).reduce((n, t) => n + (t === -100 ? 0 : 1), 0);
    lossSum = count * Math.log(vocab);
  } else {
    [lossSum, count] = nativeAddon().crossEntropyLinear(f32Data(h), weight.data, weight.type, targets.data as Int32Array, tokens, dim, vocab, gradScale ?? 0, dh ? f32Data(dh) : null, options.bf16 ?? false);
  }
  return dh ? { lossSum, count, dh } : { lossSum, count };
}
