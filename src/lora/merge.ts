import type { Tensor } from "../tensor/index.js";
import type { Model } from "../model/index.js";
import { frozenLinearAt } from "../model/index.js";
import { dequantizeWeight } from "../quant/index.js";
import type { LoraAdapter } from "./adapter.js";

/**
 * W' = W + s·B·A for every adapted module, by module path, each in its base weight's dtype. The product is
 * computed in the backend's precision and added before rounding (PEFT merges in fp32 on CPU). The model itself
 * is left unchanged.
 */
export function mergedWeights(model: Model, adapter: LoraAdapter): Map<string, Tensor> {
  const merged = new Map<string, Tensor>();
  for (const [path, lora] of adapter.modules) {
    const layer = frozenLinearAt(model, path);
    // A 4-bit base is merged into its dequantization, decoded by the backend (natively on cpu).
    const weight = layer.quant ? dequantizeWeight(model.backend, layer.quant) : layer.weight;
    const delta = model.backend.gemm(lora.b, lora.a, { alpha: lora.scale });
    const out = weight.to(weight.dtype);
    for (let i = 0; i < out.numel; i++) out.set(i, weight.get(i) + delta.get(i));
    merged.set(path, out);
  }
  return merged;
}
