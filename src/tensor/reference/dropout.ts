import { checkDropout } from "../kernel-shapes.js";
import { Tensor } from "../tensor.js";
import { toF64 } from "./convert.js";

/** lowbias32, a 32-bit integer finalizer (Chris Wellons' hash-prospector constants). */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** The 32-bit hash of element i under `key` that decides whether it drops. */
export function dropoutHash(key: number, i: number): number {
  return mix32((mix32((Math.imul(i, 0x9e3779b9) ^ key) >>> 0) + key) >>> 0);
}

export function referenceDropout(x: Tensor, p: number, key: number, out?: Tensor): Tensor {
  const { n, threshold, scale } = checkDropout(x, p, key, out);
  const v = toF64(x);
  const y = new Float64Array(n);
  // Multiplied by the mask as torch does, so a dropped NaN or infinity stays NaN.
  for (let i = 0; i < n; i++) y[i] = v[i] * scale * (dropoutHash(key, i) < threshold ? 0 : 1);
  if (!out) return new Tensor("f64", x.shape, y);
  for (let i = 0; i < n; i++) out.set(i, y[i]);
  return out;
}
