/**
 * The conversations rendered by transformers for the golden file (interop/steps/10_chat_templates.py runs this file to get
 * them) and re-rendered by loraforge in chat-template-golden.test.ts.
 */
import { pathToFileURL } from "node:url";
import { BUILTIN_TEMPLATES, type ChatMessage } from "../../src/tokenizer/index.js";
import { CHATML_WITH_GENERATION, CODE_TURN, MULTI_TURN, TOOLS, type FixtureTokenizer } from "./fixture-conversations.js";

export interface GoldenCase {
  name: string;
  tokenizer: FixtureTokenizer;
  /** A built-in template name; absent = the folder's own template. */
  builtin?: string;
  /** An inline template (the {% generation %} case); absent = the folder's or the built-in one. */
  source?: string;
  messages: ChatMessage[];
  addGenerationPrompt: boolean;
  tools?: unknown[];
  /** Ask transformers for its {% generation %} assistant mask too. */
  assistantMask?: boolean;
}

const UP_TO_SECOND_QUESTION = MULTI_TURN.slice(0, 4);

export const GOLDEN_CASES: GoldenCase[] = [
  { name: "llama3_1 multi-turn", tokenizer: "llama3_1", messages: MULTI_TURN, addGenerationPrompt: false },
  { name: "llama3_1 generation prompt", tokenizer: "llama3_1", messages: UP_TO_SECOND_QUESTION, addGenerationPrompt: true },
  { name: "llama3 base multi-turn", tokenizer: "llama3", messages: MULTI_TURN, addGenerationPrompt: false },
  { name: "qwen3 multi-turn", tokenizer: "qwen3", messages: MULTI_TURN, addGenerationPrompt: false },
  { name: "qwen3 generation prompt", tokenizer: "qwen3", messages: UP_TO_SECOND_QUESTION, addGenerationPrompt: true },
  { name: "qwen3 tools", tokenizer: "qwen3", messages: CODE_TURN, addGenerationPrompt: false, tools: TOOLS },
  { name: "gemma3 multi-turn", tokenizer: "gemma3", messages: MULTI_TURN, addGenerationPrompt: false },
  { name: "gemma3 generation prompt", tokenizer: "gemma3", messages: CODE_TURN.slice(0, 1), addGenerationPrompt: true },
  { name: "llama2 built-in llama2", tokenizer: "llama2", builtin: "llama2", messages: MULTI_TURN, addGenerationPrompt: false },
  { name: "llama2 built-in mistral", tokenizer: "llama2", builtin: "mistral", messages: CODE_TURN, addGenerationPrompt: false },
  { name: "qwen3 built-in chatml", tokenizer: "qwen3", builtin: "chatml", messages: MULTI_TURN, addGenerationPrompt: false },
  { name: "llama3_1 built-in llama3", tokenizer: "llama3_1", builtin: "llama3", messages: CODE_TURN, addGenerationPrompt: true },
  { name: "gemma3 built-in gemma", tokenizer: "gemma3", builtin: "gemma", messages: MULTI_TURN, addGenerationPrompt: false },
  {
    name: "qwen3 chatml with {% generation %}",
    tokenizer: "qwen3",
    source: CHATML_WITH_GENERATION,
    messages: MULTI_TURN,
    addGenerationPrompt: false,
    assistantMask: true,
  },
];

/** Plain texts encoded with special tokens, for encode/decode parity. */
export const GOLDEN_TEXTS = ["Hello world!", "  Ünïcödé, 東京 and emoji 🙂\n\n\tindented\r\nline", "<|im_end|> is literal here"];

/** The template source a case uses, or undefined for the folder's own. */
export function caseTemplateSource(c: GoldenCase): string | undefined {
  return c.source ?? (c.builtin === undefined ? undefined : BUILTIN_TEMPLATES[c.builtin]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const cases = GOLDEN_CASES.map((c) => ({ ...c, chatTemplateSource: caseTemplateSource(c) ?? null }));
  console.log(JSON.stringify({ cases, texts: GOLDEN_TEXTS }));
}
