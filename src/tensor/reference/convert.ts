import { bf16ToF32, f32ToBf16 } from "../dtype.js";
import type { Tensor } from "../tensor.js";

/** The tensor's values as float64 (a copy, bf16/f16 decoded). */
export function toF64(t: Tensor): Float64Array {
  if (t.dtype === "f64") return t.data as Float64Array;
  const out = new Float64Array(t.numel);
  for (let i = 0; i < out.length; i++) out[i] = t.get(i);
  return out;
}

/** The value rounded to bf16 (nearest-even), as the bf16 compute mode rounds its operands. */
export function roundToBf16(value: number): number {
  return bf16ToF32(f32ToBf16(value));
}

/** The values rounded to bf16 (nearest-even), as the bf16 compute mode rounds its operands; a new array. */
export function roundedToBf16(values: Float64Array): Float64Array {
  return values.map(roundToBf16);
}
