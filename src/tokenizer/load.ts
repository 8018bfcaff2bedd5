import { existsSync, readFileSync } from "node:fs";
import { BUILTIN_TEMPLATES } from "./builtin-templates.js";
import { readHfTokenizerFiles } from "./hf-files.js";
import { LoraTokenizer } from "./tokenizer.js";
import { ConfigError } from "../util/errors.js";

export interface LoadTokenizerOptions {
  /**
   * Overrides the folder's chat template: a built-in name (chatml, llama3, llama2, mistral, gemma) or a path to
   * a .jinja file.
   */
  chatTemplate?: string;
}

/** The chat template source for `--chat-template NAME|FILE`. */
export function resolveChatTemplate(nameOrFile: string): string {
  const builtin = BUILTIN_TEMPLATES[nameOrFile];
  if (builtin !== undefined) return builtin;
  if (existsSync(nameOrFile)) return readFileSync(nameOrFile, "utf8");
  throw new ConfigError(
    `--chat-template ${nameOrFile}: neither a file nor a built-in template (${Object.keys(BUILTIN_TEMPLATES).join(", ")})`,
  );
}

/**
 * Loads the tokenizer of a Hugging Face model folder: tokenizer.json, tokenizer_config.json (special tokens,
 * chat template), chat_template.jinja/.json as fallbacks, generation_config.json's EOS ids.
 */
export function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): LoraTokenizer {
  const files = readHfTokenizerFiles(dir);
  const template = options.chatTemplate !== undefined ? resolveChatTemplate(options.chatTemplate) : files.chatTemplate;
  return new LoraTokenizer(files, template);
}
