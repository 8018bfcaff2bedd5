import type { DType } from "../tensor/index.js";
import { readAdapterFolder, writeAdapterFolder } from "../formats/index.js";
import type { Model } from "../model/index.js";
import { linearModuleShapes } from "../model/index.js";
import type { LoraAdapter } from "./adapter.js";
import { buildLoraAdapter } from "./adapter.js";
import type { LoraConfig } from "./config.js";
import { isAllLinear } from "./target-modules.js";

/**
 * Writes a PEFT adapter folder (adapter_config.json, adapter_model.safetensors in the parameters' dtype as f32,
 * README.md). As PEFT does, `"all-linear"` is saved as the concrete projection names it selected.
 */
export function saveAdapter(adapter: LoraAdapter, dir: string, options: { baseModelNameOrPath?: string } = {}): void {
  const config: LoraConfig = {
    ...adapter.config,
    targetModules: savedTargets(adapter),
    baseModelNameOrPath: options.baseModelNameOrPath ?? adapter.config.baseModelNameOrPath,
  };
  const weights = new Map([...adapter.weights()].map(([path, { A, B }]) => [path, { A: A.to("f32"), B: B.to("f32") }]));
  writeAdapterFolder(dir, { config, weights });
}

function savedTargets(adapter: LoraAdapter): string[] | string {
  if (!isAllLinear(adapter.config.targetModules)) return adapter.config.targetModules;
  const names = new Set([...adapter.modules.keys()].map((path) => path.slice(path.lastIndexOf(".") + 1)));
  return [...names].sort();
}

/**
 * Reads a PEFT adapter folder made for this model (an adapter for another base is refused, naming the module)
 * and returns it unattached. Parameters are held as `dtype` (f32 unless told).
 */
export function loadAdapter(model: Model, dir: string, options: { dtype?: DType } = {}): LoraAdapter {
  const { config, weights } = readAdapterFolder(dir, { baseShapes: linearModuleShapes(model.config) });
  return buildLoraAdapter(model, config, { weights, dtype: options.dtype });
}
