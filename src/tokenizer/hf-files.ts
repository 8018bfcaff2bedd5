import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { InputError } from "../util/errors.js";

/** The files of a Hugging Face tokenizer folder that loraforge reads, parsed but not interpreted. */
export interface HfTokenizerFiles {
  dir: string;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** The template text: tokenizer_config.json's `chat_template`, else chat_template.jinja, else chat_template.json. */
  chatTemplate?: string;
  /** The file the chat template came from (named by errors about it). */
  chatTemplateFile?: string;
  /** `eos_token_id` of generation_config.json (an int or a list), when the folder has one. */
  generationEosIds: number[];
  /** Every tokenizer-related file present, for copying the tokenizer into another model folder. */
  paths: string[];
}

/** Names of the files that make up a tokenizer in a Hugging Face folder (docs/formats/hf-folder.md §2.1). */
export const TOKENIZER_FILE_NAMES = [
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.jinja",
  "chat_template.json",
  "tokenizer.model",
] as const;

/** The tokenizer files present in a model folder. */
export function tokenizerFilePaths(dir: string): string[] {
  return TOKENIZER_FILE_NAMES.map((name) => path.join(dir, name)).filter((p) => existsSync(p));
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read: ${(err as Error).message}`, { file });
  }
  try {
    const value = JSON.parse(text.replace(/^\uFEFF/, "")) as unknown;
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`not valid JSON: ${(err as Error).message}`, { file });
  }
}

/** A named template from the list form of `chat_template` ([{name, template}]); "default" when there is one. */
function pickTemplate(value: unknown, file: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const named = value as Array<{ name?: unknown; template?: unknown }>;
    const chosen = named.find((t) => t.name === "default") ?? named[0];
    if (chosen && typeof chosen.template === "string") return chosen.template;
  }
  throw new InputError("chat_template must be a string or a list of {name, template}", { file, field: "chat_template" });
}

export function readHfTokenizerFiles(dir: string): HfTokenizerFiles {
  const tokenizerPath = path.join(dir, "tokenizer.json");
  if (!existsSync(tokenizerPath)) {
    throw new InputError("no tokenizer.json in this folder", { file: dir }, {
      hint: "point --model at a Hugging Face model folder (it holds tokenizer.json and tokenizer_config.json)",
    });
  }
  const configPath = path.join(dir, "tokenizer_config.json");
  const tokenizerConfig = existsSync(configPath) ? readJson(configPath) : {};
  let chatTemplate = pickTemplate(tokenizerConfig.chat_template, configPath);
  let chatTemplateFile = chatTemplate === undefined ? undefined : configPath;
  const jinjaPath = path.join(dir, "chat_template.jinja");
  const templateJsonPath = path.join(dir, "chat_template.json");
  if (chatTemplate === undefined && existsSync(jinjaPath)) {
    chatTemplate = readFileSync(jinjaPath, "utf8");
    chatTemplateFile = jinjaPath;
  }
  if (chatTemplate === undefined && existsSync(templateJsonPath)) {
    chatTemplate = pickTemplate(readJson(templateJsonPath).chat_template, templateJsonPath);
    chatTemplateFile = templateJsonPath;
  }
  const generationPath = path.join(dir, "generation_config.json");
  const generationEos = existsSync(generationPath) ? readJson(generationPath).eos_token_id : undefined;
  const generationEosIds = (Array.isArray(generationEos) ? generationEos : [generationEos]).filter(
    (v): v is number => typeof v === "number",
  );
  return {
    dir,
    tokenizerJson: readJson(tokenizerPath),
    tokenizerConfig,
    chatTemplate,
    chatTemplateFile,
    generationEosIds,
    paths: tokenizerFilePaths(dir),
  };
}
