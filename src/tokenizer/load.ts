import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { BUILTIN_TEMPLATES } from "./builtin-templates.js";
import { readHfTokenizerFiles, tokenizerFilePaths } from "./hf-files.js";
import { LoraTokenizer } from "./tokenizer.js";
import { ConfigError } from "../util/errors.js";
import { GgufModel, locateModel } from "../gguf/index.js";
import type { HfTokenizerFiles } from "./hf-files.js";

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

function cacheKey(source: string, chatTemplate: string | undefined): string {
  const own = statSync(source).isDirectory() ? tokenizerFilePaths(source) : [source];
  const files = [...own, ...(chatTemplate && existsSync(chatTemplate) ? [chatTemplate] : [])];
  const stamps = files.map((f) => {
    const s = statSync(f);
    return `${f}:${s.size}:${s.mtimeMs}`;
  });
  return `${path.resolve(source)}|${chatTemplate ?? ""}|${stamps.join("|")}`;
}

/**
 * Loads the tokenizer of a model: a Hugging Face folder (tokenizer.json, tokenizer_config.json with special
 * tokens and chat template, chat_template.jinja/.json as fallbacks, generation_config.json's EOS ids), or a GGUF
 * file / `ollama:NAME`, whose tokenizer.ggml.* metadata is rebuilt into the same files (src/gguf). A model whose
 * files have not changed is loaded once per process.
 */
export function loadTokenizer(spec: string, options: LoadTokenizerOptions = {}): LoraTokenizer {
  const location = locateModel(spec);
  const source = location.kind === "gguf" ? location.file : location.dir;
  const key = cacheKey(source, options.chatTemplate);
  const cached = loaded.get(key);
  if (cached) return cached;
  const files = location.kind === "gguf" ? ggufTokenizerFiles(location.file) : readHfTokenizerFiles(location.dir);
  const template = options.chatTemplate !== undefined ? resolveChatTemplate(options.chatTemplate) : files.chatTemplate;
  const tok = new LoraTokenizer(files, template, options.chatTemplate ?? files.chatTemplateFile ?? source);
  loaded.set(key, tok);
  return tok;
}

/**
 * What a tokenizer is made of, for cache keys: the HF folder's tokenizer files, or — for a GGUF, whose weights
 * should not be hashed on every run — the tokenizer files rebuilt from its metadata, as text.
 */
export function tokenizerContents(spec: string): Array<{ name: string; bytes: Uint8Array }> {
  const location = locateModel(spec);
  if (location.kind === "hf") return tokenizerFilePaths(location.dir).map((name) => ({ name, bytes: readFileSync(name) }));
  const { tokenizerJson, tokenizerConfig } = ggufTokenizerFiles(location.file);
  return [{ name: `${location.file}#tokenizer`, bytes: Buffer.from(JSON.stringify([tokenizerJson, tokenizerConfig])) }];
}

/** A GGUF's tokenizer as the files of a HF folder (there are no files to copy: `paths` is empty). */
function ggufTokenizerFiles(file: string): HfTokenizerFiles {
  const model = GgufModel.open(file);
  try {
    const { tokenizerJson, tokenizerConfig } = model.tokenizer;
    return {
      dir: file,
      tokenizerJson,
      tokenizerConfig,
      chatTemplate: typeof tokenizerConfig.chat_template === "string" ? tokenizerConfig.chat_template : undefined,
      chatTemplateFile: `${file} (tokenizer.chat_template)`,
      generationEosIds: model.eosTokenIds,
      paths: [],
    };
  } finally {
    model.close();
  }
}
