import fs from "node:fs";
import path from "node:path";
import { CheckpointReader, readHfFolder, readJsonObject } from "../formats/index.js";
import type { HfTokenizerSource } from "../gguf/index.js";
import { GgufModel, locateModel } from "../gguf/index.js";
import type { ModelConfig } from "../model/index.js";
import { parseModelConfig, weightSchema } from "../model/index.js";
import { InputError } from "../util/errors.js";

/**
 * A base model to merge or export, whatever it is stored as (a Hugging Face folder, a .gguf file, `ollama:NAME`):
 * its config, tokenizer files and generation config, and its weights read one at a time as float32 in HF layout
 * under HF names. Nothing is held beyond the tensor being read.
 */
export interface BaseModel {
  spec: string;
  kind: "hf" | "gguf";
  /** config.json as transformers would write it. */
  rawConfig: Record<string, unknown>;
  config: ModelConfig;
  generationConfig: Record<string, unknown> | null;
  /** tokenizer.json / tokenizer_config.json / chat template; null when the folder has no tokenizer. */
  tokenizer: Omit<HfTokenizerSource, "vocabSize" | "stopIds" | "configIds"> | null;
  /** Where generation stops (generation_config.json's eos list, else config.json's). */
  stopIds: number[];
  /** HF names of the weights, in HF state-dict order. */
  names: string[];
  /** The quantized ggml types a GGUF base stores its weights in (Q4_1, Q8_0, …); empty for float weights. */
  quantizedTypes: string[];
  shape(name: string): number[];
  readF32(name: string): Float32Array;
  close(): void;
}

export function openBaseModel(spec: string): BaseModel {
  const location = locateModel(spec);
  return location.kind === "gguf" ? openGguf(spec, location.file) : openHf(spec, location.dir);
}

function openHf(spec: string, dir: string): BaseModel {
  const folder = readHfFolder(dir);
  const config = parseModelConfig(folder.config, folder.configFile);
  if (!folder.weightsFile) throw new InputError("no model.safetensors or model.safetensors.index.json", { file: dir });
  const reader = CheckpointReader.open(dir);
  const names = weightSchema(config).map((s) => s.name);
  const missing = names.filter((n) => !reader.has(n));
  if (missing.length > 0) {
    reader.close();
    throw new InputError(`${missing.length} tensor(s) missing, e.g. ${missing.slice(0, 3).join(", ")} (a bitsandbytes 4-bit checkpoint cannot be exported; export its 16-bit base)`, { file: dir });
  }
  return {
    spec,
    kind: "hf",
    rawConfig: folder.config,
    config,
    generationConfig: folder.generationConfig,
    tokenizer: readTokenizerFiles(dir),
    stopIds: folder.generationEosIds.length > 0 ? folder.generationEosIds : config.eosTokenIds,
    names,
    quantizedTypes: [],
    shape: (name) => [...reader.locate(name).entry.shape],
    readF32: (name) => {
      const entry = reader.locate(name).entry;
      if (entry.dtype !== "F32" && entry.dtype !== "BF16" && entry.dtype !== "F16") {
        throw new InputError(`tensor ${name} is ${entry.dtype}; only F32, BF16 and F16 weights can be exported`, { file: reader.source });
      }
      return reader.read(name, "f32").data as Float32Array;
    },
    close: () => reader.close(),
  };
}

function openGguf(spec: string, file: string): BaseModel {
  const model = GgufModel.open(file);
  try {
    const config = parseModelConfig(model.config, file);
    const names = weightSchema(config).map((s) => s.name);
    const { tokenizerJson, tokenizerConfig } = model.tokenizer;
    const template = tokenizerConfig.chat_template;
    return {
      spec,
      kind: "gguf",
      rawConfig: model.config,
      config,
      generationConfig: model.generationConfig,
      tokenizer: { file, tokenizerJson, tokenizerConfig, chatTemplate: typeof template === "string" ? template : undefined },
      stopIds: model.eosTokenIds.length > 0 ? model.eosTokenIds : config.eosTokenIds,
      names,
      quantizedTypes: [...new Set(names.map((n) => model.storedType(n)))].filter((t) => !["F32", "F16", "BF16"].includes(t)).sort(),
      shape: (name) => model.shape(name),
      readF32: (name) => model.readF32(name),
      close: () => model.close(),
    };
  } catch (err) {
    model.close();
    throw err;
  }
}

/** The tokenizer files of a HF folder; the chat template from tokenizer_config.json, else chat_template.jinja. */
function readTokenizerFiles(dir: string): BaseModel["tokenizer"] {
  const jsonFile = path.join(dir, "tokenizer.json");
  if (!fs.existsSync(jsonFile)) return null;
  const configFile = path.join(dir, "tokenizer_config.json");
  const tokenizerConfig = fs.existsSync(configFile) ? readJsonObject(configFile) : {};
  let chatTemplate: string | undefined;
  const inline = tokenizerConfig.chat_template;
  if (typeof inline === "string") chatTemplate = inline;
  else if (Array.isArray(inline)) {
    const named = inline as Array<{ name?: unknown; template?: unknown }>;
    const chosen = named.find((t) => t.name === "default") ?? named[0];
    if (typeof chosen?.template === "string") chatTemplate = chosen.template;
  } else if (fs.existsSync(path.join(dir, "chat_template.jinja"))) {
    chatTemplate = fs.readFileSync(path.join(dir, "chat_template.jinja"), "utf8");
  }
  return { file: jsonFile, tokenizerJson: readJsonObject(jsonFile), tokenizerConfig, chatTemplate };
}
