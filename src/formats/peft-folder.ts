import fs from "node:fs";
import path from "node:path";
import type { DType } from "../tensor/index.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { InputError } from "../util/errors.js";
import type { LoraAdapterConfig } from "./peft-config.js";
import { adapterConfigJson, readAdapterConfig } from "./peft-config.js";
import type { LoraWeights } from "./peft-weights.js";
import { checkAdapterShapes, readAdapterWeights, writeAdapterWeights } from "./peft-weights.js";
import { renderModelCard } from "./model-card.js";
import { packageVersion } from "../util/package-info.js";

/** A PEFT adapter folder (FORMATS.md §3.1): adapter_config.json, adapter_model.safetensors, README.md. */
export interface AdapterFolder {
  config: LoraAdapterConfig;
  weights: LoraWeights;
}

export const ADAPTER_CONFIG_FILE = "adapter_config.json";
export const ADAPTER_WEIGHTS_FILE = "adapter_model.safetensors";

/**
 * Reads an adapter folder. With `baseShapes` (module path → [out, in] of the base's linear layers) an adapter made
 * for another base is refused, naming the module.
 */
export function readAdapterFolder(
  dir: string,
  options: { dtype?: DType; baseShapes?: ReadonlyMap<string, readonly [number, number]> } = {},
): AdapterFolder {
  const configFile = path.join(dir, ADAPTER_CONFIG_FILE);
  const weightsFile = path.join(dir, ADAPTER_WEIGHTS_FILE);
  if (!fs.existsSync(weightsFile) && fs.existsSync(path.join(dir, "adapter_model.bin"))) {
    throw new InputError("only adapter_model.bin (pickle) is present; loraforge reads safetensors adapters", { file: dir });
  }
  const config = readAdapterConfig(configFile);
  const weights = readAdapterWeights(weightsFile, options.dtype);
  for (const [module, { A }] of weights) {
    if (A.shape[0] !== config.r) {
      throw new InputError(`${module}: lora_A has rank ${A.shape[0]} but adapter_config.json says r = ${config.r}`, { file: weightsFile });
    }
  }
  if (options.baseShapes) checkAdapterShapes(weights, options.baseShapes, config.r, weightsFile);
  return { config, weights };
}

/** Writes the three files (each atomically) into `dir`, creating it. */
export function writeAdapterFolder(dir: string, adapter: AdapterFolder, card: { title?: string; body?: string } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  writeAdapterWeights(path.join(dir, ADAPTER_WEIGHTS_FILE), adapter.weights);
  writeFileAtomic(path.join(dir, ADAPTER_CONFIG_FILE), adapterConfigJson(adapter.config));
  const readme = renderModelCard({
    relation: "adapter",
    baseModel: adapter.config.baseModelNameOrPath,
    title: card.title ?? "LoRA adapter",
    body: card.body,
    frameworkVersions: { loraforge: packageVersion() },
  });
  writeFileAtomic(path.join(dir, "README.md"), readme);
}
