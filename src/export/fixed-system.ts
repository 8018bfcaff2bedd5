import type { ChatMessage } from "../tokenizer/index.js";

/**
 * The system prompt every training conversation opens with, when they all share one. A Modelfile SYSTEM with it
 * makes Ollama serve requests that bring no system message the way the model was trained.
 */
export function fixedSystemPrompt(conversations: Iterable<readonly ChatMessage[]>): string | undefined {
  let fixed: string | undefined;
  for (const messages of conversations) {
    const first = messages[0];
    if (first?.role !== "system" || (fixed !== undefined && first.content !== fixed)) return undefined;
    fixed = first.content;
  }
  return fixed;
}
