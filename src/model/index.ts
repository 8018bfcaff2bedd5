// The public face of src/model.
export type { Architecture, Llama3RopeScaling, ModelConfig, SlidingWindow } from "./config.js";
export { ARCHITECTURES, MODEL_TYPES, modelConfigToJson, parseModelConfig } from "./config.js";
export type { PresetName } from "./presets.js";
export { ARCH_BY_NAME, PRESET_NAMES, presetConfig } from "./presets.js";
export type { GlobalWeightKey, LayerWeightKey, LinearKey, WeightSpec } from "./weight-schema.js";
export { LINEAR_MODULES, linearModuleShapes, linearShapes, weightSchema } from "./weight-schema.js";
