/**
 * Shipping a fine-tune. So far: the Ollama side — a Jinja chat template converted into an Ollama TEMPLATE that renders
 * byte-identical prompts, and the Modelfile around it (docs/formats/ollama.md).
 *
 *   const { template, caveats } = ollamaTemplate({ template: tok.requireChatTemplate(), bosToken: tok.bosToken, addBosToken });
 *   writeModelfile("out/Modelfile", { from: "./model.gguf", template, stop: ["<|im_end|>"], parameters: samplingParameters(genConfig) });
 */
export { ollamaTemplate, type JinjaChatTemplate, type OllamaTemplate, type OllamaTemplateInput } from "./ollama-template.js";
export { renderTurnFormat, type SystemPlacement, type TurnFormat, type Wrap } from "./turn-format.js";
export { modelfileText, writeModelfile, type ModelfileSpec } from "./modelfile.js";
export { samplingParameters, type OllamaParameter } from "./sampling-parameters.js";
