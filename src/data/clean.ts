/** Options for text cleaning, applied to every message and string field. */
export interface CleanOptions {
  /** Collapse runs of spaces/tabs to one space and 3+ newlines to a blank line (off by default: code needs indentation). */
  collapseWhitespace?: boolean;
}

/** Unicode NFC, LF newlines, trimmed; optionally collapsed whitespace. */
export function cleanText(text: string, options: CleanOptions = {}): string {
  let out = text.normalize("NFC").replace(/\r\n?/g, "\n");
  if (options.collapseWhitespace) out = out.replace(/[ \t]+/g, " ").replace(/ *\n */g, "\n").replace(/\n{3,}/g, "\n\n");
  return out.trim();
}

/**
 * Role names other datasets use, mapped to the four roles chat templates know. ShareGPT dumps name the assistant
 * after the product (gpt, chatgpt, bing, bard); Gemma data calls it model.
 */
const ROLE_ALIASES: Record<string, string> = {
  system: "system",
  user: "user",
  human: "user",
  assistant: "assistant",
  gpt: "assistant",
  bot: "assistant",
  model: "assistant",
  chatgpt: "assistant",
  bing: "assistant",
  bard: "assistant",
  function_call: "assistant",
  tool: "tool",
  function: "tool",
  function_response: "tool",
  observation: "tool",
  ipython: "tool",
};

export const KNOWN_ROLES = ["system", "user", "assistant", "tool"];

/** The canonical role for a name (case-insensitive), or undefined when it is not one loraforge knows. */
export function canonicalRole(role: string): string | undefined {
  return ROLE_ALIASES[role.trim().toLowerCase()];
}

/** How often each alias was mapped, by the name as written (lower-cased): { gpt: { role: "assistant", count } }. */
export type RoleAliasCounts = Record<string, { role: string; count: number }>;

/** Counts one mapped role name when it differs from the role it maps to. */
export function countAlias(counts: RoleAliasCounts, raw: string, role: string, times = 1): void {
  const name = raw.trim().toLowerCase();
  if (name === role) return;
  const entry = (counts[name] ??= { role, count: 0 });
  entry.count += times;
}
