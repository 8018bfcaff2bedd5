import fs from "node:fs";
import path from "node:path";
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, baseModelHubId, readJsonObject, withSafetensors } from "../../formats/index.js";
import type { TensorEntry } from "../../formats/index.js";
import { linearModuleShapes, parseModelConfig } from "../../model/index.js";

/** What the preflight rules look at: the adapter's files, raw config and tensor headers, and the base's config when known. */
export interface AdapterFacts {
  dir: string;
  files: Set<string>;
  /** adapter_config.json as written (any PEFT version), or undefined when missing or unreadable. */
  config?: Record<string, unknown>;
  configProblem?: string;
  tensors: Array<Pick<TensorEntry, "name" | "dtype" | "shape">>;
  base?: BaseFacts;
}

export interface BaseFacts {
  /** Folder the config was read from. */
  dir: string;
  /** config.json `architectures[0]`. */
  architecture: string;
  tieWordEmbeddings: boolean;
  vocabSize?: number;
  /** `[out, in]` of each linear module, for the four architectures loraforge models (undefined for others). */
  linearShapes?: Map<string, [number, number]>;
}

export function readAdapterFacts(dir: string, baseDir?: string): AdapterFacts {
  const files = new Set(fs.existsSync(dir) ? fs.readdirSync(dir) : []);
  const facts: AdapterFacts = { dir, files, tensors: [] };
  if (files.has(ADAPTER_CONFIG_FILE)) {
    try {
      facts.config = readJsonObject(path.join(dir, ADAPTER_CONFIG_FILE));
    } catch (err) {
      facts.configProblem = (err as Error).message;
    }
  }
  if (files.has(ADAPTER_WEIGHTS_FILE)) {
    facts.tensors = withSafetensors(path.join(dir, ADAPTER_WEIGHTS_FILE), (r) => r.header.entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })));
  }
  const base = baseDir ?? localBase(facts.config?.base_model_name_or_path);
  if (base && fs.existsSync(path.join(base, "config.json"))) facts.base = readBaseFacts(base);
  return facts;
}

/** base_model_name_or_path when it is a folder on this machine (a Hub id is looked up by the caller, in the cache). */
function localBase(value: unknown): string | undefined {
  return typeof value === "string" && fs.existsSync(value) && fs.statSync(value).isDirectory() ? value : undefined;
}

function readBaseFacts(dir: string): BaseFacts {
  const file = path.join(dir, "config.json");
  const raw = readJsonObject(file);
  const architecture = Array.isArray(raw.architectures) ? String(raw.architectures[0]) : "unknown";
  let linearShapes: Map<string, [number, number]> | undefined;
  try {
    linearShapes = linearModuleShapes(parseModelConfig(raw, file));
  } catch {
    // An architecture loraforge does not model: the shape check is skipped (and says so).
  }
  const vocabSize = typeof raw.vocab_size === "number" ? raw.vocab_size : undefined;
  return { dir, architecture, tieWordEmbeddings: raw.tie_word_embeddings === true, vocabSize, linearShapes };
}

/** The module path and part of a PEFT tensor name (`base_model.model.<module>.<part>`), as peft utils/save_and_load.py saves them. */
export function splitTensorName(name: string): { module: string; part: string } {
  const inner = name.replace(/^base_model\.model\./, "");
  const m = /^(.*?)\.(lora_A\.weight|lora_B\.weight|lora_embedding_A|lora_embedding_B|lora_magnitude_vector|weight|bias)$/.exec(inner);
  return m ? { module: m[1], part: m[2] } : { module: inner, part: "" };
}

/** The Hub id the adapter names as its base (none for a local path). */
export function baseHubId(facts: AdapterFacts): string | undefined {
  const v = facts.config?.base_model_name_or_path;
  return typeof v === "string" ? baseModelHubId(v) : undefined;
}
