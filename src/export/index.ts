/**
 * Shipping a fine-tune. The Ollama side: a Jinja chat template converted into an Ollama TEMPLATE that renders
 * byte-identical prompts, and the Modelfile around it (docs/formats/ollama.md).
 *
 *   const { spec, caveats } = ollamaModelfileSpec({ tokenizer, addBosToken, from: "./model.gguf", generationConfig });
 *   writeModelfile("out/Modelfile", spec);   // then: ollama create NAME -f out/Modelfile
 */
export { ollamaTemplate, type JinjaChatTemplate, type OllamaTemplate, type OllamaTemplateInput } from "./ollama-template.js";
export type { SystemPlacement, TurnFormat, Wrap } from "./turn-format.js";
export { modelfileText, writeModelfile, type ModelfileSpec } from "./modelfile.js";
export { samplingParameters, type OllamaParameter } from "./sampling-parameters.js";
export { ollamaModelfileSpec, type OllamaModelfileInput } from "./ollama-modelfile.js";
export { fixedSystemPrompt } from "./fixed-system.js";
// GGUF export, merge and drift (docs/export.md).
export type { BaseModel } from "./base-model.js";
export { openBaseModel } from "./base-model.js";
export type { MergeAdapter, MergeAdapterOptions } from "./merge-adapter.js";
export { mergeWeight, quantRoundTrip, readMergeAdapter } from "./merge-adapter.js";
export { ggufArchitecture, ggufHparams, ropeFreqDivisors } from "./gguf-hparams.js";
export type { ExportType } from "./gguf-types.js";
export { EXPORT_TYPES, ggufFileType, parseExportType, planTensorTypes, useMoreBits } from "./gguf-types.js";
export type { ExportGgufOptions, ExportGgufResult } from "./gguf-export.js";
export { checkOutput, exportGguf, planTensors } from "./gguf-export.js";
export type { MergeDtype, MergeOptions, MergeResult, QloraDifference } from "./merge-folder.js";
export { MERGE_DTYPES, mergeToFolder } from "./merge-folder.js";
export type { ExportGgufAdapterOptions, ExportGgufAdapterResult } from "./gguf-adapter.js";
export { exportGgufAdapter } from "./gguf-adapter.js";
export type { DriftOptions, DriftReport, StageDrift } from "./drift.js";
export { driftReport, formatDrift } from "./drift.js";
export type { GgufEngine } from "./llama-cpp-engine.js";
export { llamaCppEngine } from "./llama-cpp-engine.js";
