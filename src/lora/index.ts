// The public face of src/lora.
export type { LoraConfig } from "./config.js";
export { DEFAULT_TARGET_MODULES, loraConfig, loraScale } from "./config.js";
export { isAllLinear, matchesModules, selectTargets } from "./target-modules.js";
export { LoraLinear } from "./lora-linear.js";
export { LoraGroup, stackedModules } from "./lora-group.js";
export { LoraAdapter, attachAdapter, buildLoraAdapter, detachAdapter } from "./adapter.js";
export { loadAdapter, saveAdapter } from "./adapter-files.js";
export { mergedWeights } from "./merge.js";
