import type { LoraAdapter } from "../lora/index.js";
import { attachAdapter, buildLoraAdapter, loraConfig } from "../lora/index.js";
import type { Model } from "../model/index.js";
import type { TrainConfig } from "./config-schema.js";

/** The run's fresh LoRA adapter (config.lora, seeded by config.seed), attached to the model. */
export function buildRunAdapter(config: TrainConfig, model: Model): LoraAdapter {
  const adapter = buildLoraAdapter(
    model,
    loraConfig({
      r: config.lora.r,
      loraAlpha: config.lora.lora_alpha,
      loraDropout: config.lora.lora_dropout,
      targetModules: config.lora.target_modules,
      useRslora: config.lora.use_rslora,
      baseModelNameOrPath: config.model,
    }),
    { seed: config.seed },
  );
  attachAdapter(model, adapter);
  return adapter;
}
