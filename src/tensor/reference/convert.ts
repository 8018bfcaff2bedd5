import type { Tensor } from "../tensor.js";

/** The tensor's values as float64 (a copy, bf16/f16 decoded). */
export function toF64(t: Tensor): Float64Array {
  if (t.dtype === "f64") return t.data as Float64Array;
  const out = new Float64Array(t.numel);
  for (let i = 0; i < out.length; i++) out[i] = t.get(i);
  return out;
}
