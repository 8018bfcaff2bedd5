import { checkDropout } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { nativeAddon } from "./addon.js";
import { f32, f32Data } from "./common.js";

export function cpuDropout(x: Tensor, p: number, key: number, out?: Tensor): Tensor {
  const { threshold, scale } = checkDropout(x, p, key, out);
  const y = out ?? Tensor.empty(x.shape);
  f32("dropout", { x, out: y });
  nativeAddon().dropout(f32Data(x), key, threshold, scale, f32Data(y));
  return y;
}
