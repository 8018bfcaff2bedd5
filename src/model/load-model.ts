import { cpuBackend } from "../tensor/index.js";
import type { Model } from "./model.js";
import { createModel } from "./model.js";
import type { ModelBackend } from "./model-backend.js";
import { loadWeights, readModelFolder } from "./weights-load.js";

export interface LoadModelOptions {
  /** How the frozen linear weights are held: "bf16" halves their memory (compute stays f32). Default f32. */
  dtype?: "f32" | "bf16";
  /** Default: the native cpu backend. */
  backend?: ModelBackend;
}

/** Loads a Hugging Face model folder (config.json, safetensors weights, generation_config.json). */
export function loadModel(dir: string, options: LoadModelOptions = {}): Model {
  const { config, eosTokenIds } = readModelFolder(dir);
  const weights = loadWeights(dir, config, { dtype: options.dtype });
  return createModel(config, weights, options.backend ?? cpuBackend, eosTokenIds);
}
