import { cpuBackend } from "../tensor/index.js";
import type { QuantizationName } from "../quant/index.js";
import type { Model } from "./model.js";
import { createModel } from "./model.js";
import type { ModelBackend } from "./model-backend.js";
import { loadWeights, readModelFolder } from "./weights-load.js";

export interface LoadModelOptions {
  /** How the frozen linear weights are held: "bf16" halves their memory (compute stays f32). Default f32. */
  dtype?: "f32" | "bf16";
  /**
   * Quantize the attention/MLP projections to 4 bits on load (QLoRA base): nf4 (with double quantization),
   * nf4-no-double-quant, fp4, fp4-no-double-quant. Default: none.
   */
  quantization?: QuantizationName;
  /** Default: the native cpu backend. */
  backend?: ModelBackend;
}

/** Loads a Hugging Face model folder (config.json, safetensors weights, generation_config.json). */
export function loadModel(dir: string, options: LoadModelOptions = {}): Model {
  const { config, eosTokenIds } = readModelFolder(dir);
  const weights = loadWeights(dir, config, { dtype: options.dtype, quantization: options.quantization });
  return createModel(config, weights, options.backend ?? cpuBackend, eosTokenIds);
}
