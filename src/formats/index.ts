// The public face of src/formats: safetensors, sharded checkpoints, HF folders, PEFT adapter files, model cards.
export type { SafetensorsDtype, SafetensorsHeader, TensorEntry } from "./safetensors-header.js";
export { MAX_HEADER_BYTES, SAFETENSORS_DTYPE_BITS, parseHeader, parseHeaderLength, planLayout, tensorByteSize } from "./safetensors-header.js";
export { SafetensorsReader, withSafetensors } from "./safetensors-read.js";
export type { TensorSource } from "./safetensors-write.js";
export { PT_METADATA, safetensorsDtype, tensorSources, writeLaidOut, writeSafetensors } from "./safetensors-write.js";
export { CheckpointReader, DEFAULT_MAX_SHARD_BYTES, indexFileName, shardFileName, writeCheckpoint } from "./checkpoint.js";
export type { HfFolder } from "./hf-folder.js";
export { readHfFolder } from "./hf-folder.js";
export { readJsonFile, readJsonObject, stringifySorted } from "./json-file.js";
export type { LoraAdapterConfig } from "./peft-config.js";
export { adapterConfigJson, parseAdapterConfig, readAdapterConfig } from "./peft-config.js";
export type { LoraPair, LoraWeights } from "./peft-weights.js";
export { checkAdapterShapes, loraKey, readAdapterWeights, writeAdapterWeights } from "./peft-weights.js";
export type { AdapterFolder } from "./peft-folder.js";
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readAdapterFolder, writeAdapterFolder } from "./peft-folder.js";
export type { ModelCardInput } from "./model-card.js";
export { renderModelCard } from "./model-card.js";
