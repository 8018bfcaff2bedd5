import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { BUILTIN_TEMPLATES } from "./builtin-templates.js";
import { readHfTokenizerFiles, tokenizerFilePaths } from "./hf-files.js";
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

/** Loaded tokenizers by folder, template and the size/mtime of their files: parsing tokenizer.json takes seconds. */
const loaded = new Map<string, LoraTokenizer>();

function cacheKey(dir: string, chatTemplate: string | undefined): string {
  const files = [...tokenizerFilePaths(dir), ...(chatTemplate && existsSync(chatTemplate) ? [chatTemplate] : [])];
  const stamps = files.map((f) => {
    const s = statSync(f);
    return `${f}:${s.size}:${s.mtimeMs}`;
  });
  return `${path.resolve(dir)}|${chatTemplate ?? ""}|${stamps.join("|")}`;
}

/**
 * Loads the tokenizer of a Hugging Face model folder: tokenizer.json, tokenizer_config.json (special tokens,
 * chat template), chat_template.jinja/.json as fallbacks, generation_config.json's EOS ids. A folder whose files
 * have not changed is loaded once per process.
 */
export function loadTokenizer(dir: string, options: LoadTokenizerOptions = {}): LoraTokenizer {
  const key = existsSync(dir) ? cacheKey(dir, options.chatTemplate) : undefined;
  const cached = key === undefined ? undefined : loaded.get(key);
  if (cached) return cached;
  const files = readHfTokenizerFiles(dir);
  const template = options.chatTemplate !== undefined ? resolveChatTemplate(options.chatTemplate) : files.chatTemplate;
  const tok = new LoraTokenizer(files, template, options.chatTemplate ?? files.chatTemplateFile);
  if (key !== undefined) loaded.set(key, tok);
  return tok;
}
