import type { DType, Tensor } from "../tensor/index.js";
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from "../tensor/index.js";

/**
 * Gemma's embedding multiplier √hidden_size as transformers applies it: a float32 scalar (torch.tensor of a
 * Python float) cast to the embedding weight's dtype, so bf16-held embeddings use the bf16-rounded scale
 * (√640 = 25.298… → 25.25). See docs/models/gemma3.md.
 */
export function embeddingScale(hiddenSize: number, weightDtype: DType): number {
  const scale = Math.fround(Math.sqrt(hiddenSize));
  if (weightDtype === "bf16") return bf16ToF32(f32ToBf16(scale));
  if (weightDtype === "f16") return f16ToF32(f32ToF16(scale));
  return scale;
}

/**
 * In place: rows × scale. On f32 activations each product is one f32 multiply, as torch's; transformers' bf16
 * model also rounds the product to bf16, which loraforge (f32 activations) does not.
 */
export function scaleRows(x: Tensor, scale: number): void {
  const data = x.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) data[i] *= scale;
}
