import type { ChatMessage } from "../tokenizer/index.js";

/**
 * Conversations rendered through a chat template to read its layout (the markers) and to check a converted
 * TEMPLATE against it (the named probes). Contents have no leading or trailing whitespace: Go templates cannot
 * trim, so templates that trim agree with Ollama only on such content (docs/formats/ollama.md, "Limits").
 */

/** Marker contents: text no template writes itself, found again in the rendered prompt. */
export const MARK = { system: "⟦system⟧", user1: "⟦user-1⟧", assistant1: "⟦assistant-1⟧", user2: "⟦user-2⟧" };

const system = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

export const MARKER_PROBES = {
  user: [user(MARK.user1)],
  userAssistant: [user(MARK.user1), assistant(MARK.assistant1)],
  userAssistantUser: [user(MARK.user1), assistant(MARK.assistant1), user(MARK.user2)],
  systemUser: [system(MARK.system), user(MARK.user1)],
};

export interface Probe {
  name: string;
  messages: ChatMessage[];
}

export const PARITY_PROBES: Probe[] = [
  { name: "one user turn", messages: [user("Hello!")] },
  { name: "user, assistant", messages: [user("Hi"), assistant("Hello, how can I help?")] },
  {
    name: "several turns",
    messages: [user("What is 2+2?"), assistant("4"), user("And 3+3?"), assistant("6"), user("Thanks")],
  },
  { name: "system, user", messages: [system("You are terse."), user("Name a colour.")] },
  {
    name: "system, several turns",
    messages: [system("Answer in French."), user("Hello"), assistant("Bonjour"), user("Goodbye")],
  },
  { name: "empty system prompt", messages: [system(""), user("Hi")] },
  {
    name: "multi-line, unicode and template-like content",
    messages: [
      system('Rules:\n1. Be brief.\n2. Quote with """triple quotes""".'),
      user("{{ .Prompt }} and {% if x %}{{ x }}{% endif %} — naïve 漢字 🚀"),
      assistant('Braces stay: {{ "}}" }} {{- .Content -}}\n\nDone.'),
      user("Tab\there, backslash \\n, and {{"),
    ],
  },
  {
    name: "reasoning markup in an earlier answer",
    messages: [user("Think first."), assistant("<think>\nplan\n</think>\n\nThe answer."), user("Again?")],
  },
];
