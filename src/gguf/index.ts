// GGUF in and out: the container, metadata ↔ HF config, tokenizer.ggml.* ↔ tokenizer.json, tensor names and
// llama.cpp's q/k row order, and model references (a .gguf file, an Ollama name). Facts: docs/formats/gguf.md.
export type { GgufTensorInfo } from "./gguf-read.js";
export { GGUF_MAGIC, GgufFile } from "./gguf-read.js";
export type { GgufValue } from "./metadata.js";
export { GgufMetadata } from "./metadata.js";
export { GGUF_ARCHITECTURES, ggufArchitectureOf, hfConfigFromGguf, hfGenerationConfigFromGguf } from "./hf-config.js";
export { GEMMA3_DEFAULT_SWA_PERIOD, GEMMA3_DEFAULT_SWA_ROPE_BASE, llamaCppQueryPreAttnScalar, slidingLayersOfPeriod, swaPeriodOf } from "./gemma3.js";
export type { HfTokenizerJson } from "./tokenizer-json.js";
export { TOKEN_TYPE, hfTokenizerFromGguf } from "./tokenizer-json.js";
export { KNOWN_PRE_TOKENIZERS, preTokenizerRule } from "./pre-tokenizers.js";
export type { GgufArchitecture } from "./tensor-names.js";
export { ggufTensorName, hfTensorName, normWeightOffset } from "./tensor-names.js";
export { ggufRowToHf, hfRowToGguf } from "./qk-permute.js";
export { GgufModel } from "./gguf-model.js";
export type { ModelLocation } from "./model-spec.js";
export { isGgufFile, locateModel } from "./model-spec.js";
export { ollamaManifestPath, ollamaModelsDir, resolveOllamaModel } from "./ollama-store.js";
export type { ImportOptions, ImportResult } from "./import-folder.js";
export { importGguf } from "./import-folder.js";
export type { GgufKv, GgufScalarType, GgufTensorOut } from "./gguf-write.js";
export { GGUF_DEFAULT_ALIGNMENT, kv, writeGguf } from "./gguf-write.js";
export type { HfTokenizerSource } from "./from-hf-tokenizer.js";
export { ggufTokenizerMetadata } from "./from-hf-tokenizer.js";
