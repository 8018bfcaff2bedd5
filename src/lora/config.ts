import type { LoraAdapterConfig } from "../formats/index.js";
import { ConfigError } from "../util/errors.js";

/**
 * A LoRA configuration with PEFT's semantics: the fields of adapter_config.json in camelCase (src/formats reads
 * and writes the file). `targetModules` is a list of module names (a module matches an entry it equals or ends
 * with `.<entry>`), `"all-linear"` (every linear layer but lm_head), or any other single string: a regex that
 * must match the whole module path. `initLoraWeights`: true = A kaiming-uniform, B zeros; "gaussian" = A
 * N(0, 1/r²), B zeros; false = both kaiming-uniform (nn.Linear's default, PEFT's `False`).
 */
export type LoraConfig = LoraAdapterConfig;

/** PEFT's default target modules for the Llama family. */
export const DEFAULT_TARGET_MODULES = ["q_proj", "v_proj"];

/** A complete, checked config from the fields given; the rest take PEFT's defaults. */
export function loraConfig(fields: Partial<LoraConfig> = {}): LoraConfig {
  const config: LoraConfig = {
    r: 8,
    loraAlpha: 8,
    loraDropout: 0,
    targetModules: [...DEFAULT_TARGET_MODULES],
    excludeModules: null,
    useRslora: false,
    initLoraWeights: true,
    baseModelNameOrPath: null,
    revision: null,
    unknownFields: [],
    ...fields,
  };
  if (!Number.isInteger(config.r) || config.r < 1) throw new ConfigError(`LoRA r must be a positive integer, got ${config.r}`);
  if (!Number.isFinite(config.loraAlpha)) throw new ConfigError(`LoRA lora_alpha must be a number, got ${config.loraAlpha}`);
  if (!(config.loraDropout >= 0 && config.loraDropout < 1)) {
    throw new ConfigError(`LoRA lora_dropout must be in [0, 1), got ${config.loraDropout}`);
  }
  if (Array.isArray(config.targetModules) ? config.targetModules.length === 0 : config.targetModules === "") {
    throw new ConfigError("LoRA target_modules is empty");
  }
  if (![true, false, "gaussian"].includes(config.initLoraWeights)) {
    throw new ConfigError(`LoRA init_lora_weights ${JSON.stringify(config.initLoraWeights)} is not supported (true, false or "gaussian")`);
  }
  return config;
}

/** The factor s of y = W·x + s·B·A·x. */
export function loraScale(config: Pick<LoraConfig, "r" | "loraAlpha" | "useRslora">): number {
  return config.useRslora ? config.loraAlpha / Math.sqrt(config.r) : config.loraAlpha / config.r;
}
