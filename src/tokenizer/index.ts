/**
 * Tokenizers and chat templates of Hugging Face model folders.
 *
 *   const tok = loadTokenizer("models/Qwen3-0.6B");            // or { chatTemplate: "chatml" | "file.jinja" }
 *   tok.encode("hi", { addSpecialTokens: false });             // → number[]
 *   tok.decode(ids, { skipSpecialTokens: true });              // → string
 *   tok.applyChatTemplate(messages, { addGenerationPrompt: true, tools });   // → text, as transformers renders it
 *   tok.encodeChat(messages, { addGenerationPrompt: true });   // → ids (never a second BOS)
 *   tok.endOfTurnTokenIds;                                     // stop tokens for generation
 *   tok.tokenizeConversation(messages, { trainOn: "all" });    // → { inputIds, labels } (assistant-only, −100 elsewhere)
 *   tok.files;                                                 // tokenizer files to copy into another model folder
 */
export { loadTokenizer, resolveChatTemplate, tokenizerContents, type LoadTokenizerOptions } from "./load.js";
export { LoraTokenizer, type ConversationOptions, type TokenizedConversation } from "./tokenizer.js";
export { type RenderOptions } from "./chat-template.js";
export { BUILTIN_TEMPLATES } from "./builtin-templates.js";
export { TOKENIZER_FILE_NAMES, tokenizerFilePaths } from "./hf-files.js";
export { TemplateError } from "./errors.js";
export { FIXED_TEMPLATE_DATE } from "./template-globals.js";
export { IGNORE_INDEX, type ChatMessage, type TokenizedExample } from "./types.js";
export { trainedTurns, type TrainOn } from "./assistant-spans.js";
