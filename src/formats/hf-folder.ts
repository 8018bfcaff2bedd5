import fs from "node:fs";
import path from "node:path";
import { InputError } from "../util/errors.js";
import { indexFileName } from "./checkpoint.js";
import { readJsonObject } from "./json-file.js";

/** What a Hugging Face model folder holds, read without touching the weights (src/tokenizer reads its own files). */
export interface HfFolder {
  dir: string;
  configFile: string;
  /** config.json as parsed JSON; src/model turns it into a ModelConfig. */
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown> | null;
  /** eos_token_id of generation_config.json (an id or a list), [] when absent. */
  generationEosIds: number[];
  /** `model.safetensors` or the shard index; null when the folder has no safetensors weights. */
  weightsFile: string | null;
  sharded: boolean;
}

export function readHfFolder(dir: string): HfFolder {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InputError("model folder not found", { file: dir });
  const configFile = path.join(dir, "config.json");
  if (!fs.existsSync(configFile)) {
    throw new InputError("config.json is missing: not a Hugging Face model folder", { file: configFile });
  }
  const config = readJsonObject(configFile);
  const generationFile = path.join(dir, "generation_config.json");
  const generationConfig = fs.existsSync(generationFile) ? readJsonObject(generationFile) : null;
  const index = path.join(dir, indexFileName("model"));
  const single = path.join(dir, "model.safetensors");
  const weightsFile = fs.existsSync(index) ? index : fs.existsSync(single) ? single : null;
  return {
    dir,
    configFile,
    config,
    generationConfig,
    generationEosIds: generationConfig ? eosIds(generationConfig.eos_token_id, generationFile) : [],
    weightsFile,
    sharded: weightsFile === index,
  };
}

function eosIds(value: unknown, file: string): number[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const id of list) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new InputError(`eos_token_id ${JSON.stringify(value)} is not a token id or a list of them`, { file, field: "eos_token_id" });
    }
  }
  return list as number[];
}
