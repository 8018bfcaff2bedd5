import { ConfigError, LoraforgeError } from "../util/errors.js";
import type { ChatMessage } from "../tokenizer/index.js";
import { goTemplateFor } from "./go-template.js";
import { MARK, MARKER_PROBES, PARITY_PROBES } from "./template-probes.js";
import { extractTurnFormat } from "./turn-format-extract.js";
import { renderTurnFormat, type TurnFormat } from "./turn-format.js";

/** A Jinja chat template as loraforge renders it for training (the tokenizer's ChatTemplate fits). */
export interface JinjaChatTemplate {
  render(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean }): string;
}

export interface OllamaTemplateInput {
  template: JinjaChatTemplate;
  /** The tokenizer's BOS string, when it has one. */
  bosToken?: string;
  /** Whether the GGUF's tokenizer prepends BOS (`tokenizer.ggml.add_bos_token`): Ollama then adds it, not the TEMPLATE. */
  addBosToken: boolean;
}

export interface OllamaTemplate {
  /** The TEMPLATE, in Go text/template over Ollama's `.Messages`. */
  template: string;
  /** The family the template looks like, for messages. */
  family: string;
  format: TurnFormat;
  /** Where Ollama's prompt can still differ from the training prompt (e.g. content the Jinja template trims). */
  caveats: string[];
}

/** A name for messages, from the turn markers in a rendered conversation. */
function guessFamily(rendered: string): string {
  const markers: Array<[string, string]> = [
    ["<|im_start|>", "ChatML"],
    ["<|start_header_id|>", "Llama 3"],
    ["<<SYS>>", "Llama 2"],
    ["<start_of_turn>", "Gemma"],
    ["[INST]", "Mistral"],
  ];
  return markers.find(([marker]) => rendered.includes(marker))?.[1] ?? "unknown";
}

function excerpt(text: string, offset: number): string {
  const from = Math.max(0, offset - 30);
  return `${from > 0 ? "…" : ""}${JSON.stringify(text.slice(from, offset + 40))}${offset + 40 < text.length ? "…" : ""}`;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Roles whose content the template trims: a padded marker comes out without its spaces. */
function trimmedRoles(render: (messages: ChatMessage[]) => string): string[] {
  const padded = (content: string) => ` ${content} `;
  const rendered = render([
    { role: "system", content: padded(MARK.system) },
    { role: "user", content: padded(MARK.user1) },
    { role: "assistant", content: padded(MARK.assistant1) },
    { role: "user", content: padded(MARK.user2) },
  ]);
  return [
    ["system", MARK.system],
    ["user", MARK.user1],
    ["assistant", MARK.assistant1],
  ]
    .filter(([, marker]) => rendered.includes(marker) && !rendered.includes(padded(marker)))
    .map(([role]) => role);
}

/**
 * Converts a Jinja chat template into the Ollama TEMPLATE that renders byte-identical prompts (generation prompt
 * included), or throws a ConfigError naming the first probe conversation where no fixed-text layout reproduces it.
 * How: docs/formats/ollama.md, "How a template is converted".
 */
export function ollamaTemplate(input: OllamaTemplateInput): OllamaTemplate {
  const { bosToken, addBosToken } = input;
  const jinja = (messages: readonly ChatMessage[], addGenerationPrompt: boolean, probe: string): string => {
    try {
      return input.template.render(messages, { addGenerationPrompt });
    } catch (err) {
      throw new ConfigError(`the chat template fails on the probe conversation "${probe}": ${(err as Error).message}`, { cause: err });
    }
  };
  const family = guessFamily(jinja(MARKER_PROBES.systemUser, true, "system, user"));
  const bos = bosToken ?? "";
  const writesBos = bos !== "" && jinja(MARKER_PROBES.user, false, "user").startsWith(bos);
  const served = (format: TurnFormat, messages: readonly ChatMessage[]) => (addBosToken ? bos : "") + renderTurnFormat(format, messages);

  let format: TurnFormat;
  try {
    const withoutBos = (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => {
      const text = jinja(messages, addGenerationPrompt, "marker conversation");
      return writesBos && text.startsWith(bos) ? text.slice(bos.length) : text;
    };
    format = extractTurnFormat(withoutBos, writesBos && !addBosToken ? bos : "");
  } catch (err) {
    if (!(err instanceof LoraforgeError)) throw err;
    throw new ConfigError(`the chat template (${family}?) has no known Ollama TEMPLATE equivalent: ${err.message}`, { cause: err });
  }

  for (const probe of PARITY_PROBES) {
    const expected = jinja(probe.messages, true, probe.name);
    const actual = served(format, probe.messages);
    if (expected === actual) continue;
    const at = firstDifference(expected, actual);
    const bosNote =
      addBosToken && !expected.startsWith(bos) ? `; Ollama prepends BOS ${JSON.stringify(bos)} because the GGUF sets add_bos_token, and the template does not start with it` : "";
    throw new ConfigError(
      `the chat template (${family}?) has no known Ollama TEMPLATE equivalent: for the conversation "${probe.name}" it renders ` +
        `${excerpt(expected, at)} where the nearest TEMPLATE renders ${excerpt(actual, at)} (first difference at character ${at}${bosNote})`,
      { hint: "Ollama's Go templates place fixed text around each message by role and position; a template that rewrites content (such as dropping <think> blocks of earlier answers) cannot be converted. Train and serve with a template that can, e.g. --chat-template chatml." },
    );
  }

  const trimmed = trimmedRoles((messages) => jinja(messages, true, "padded content"));
  const caveats = trimmed.length === 0 ? [] : [
    `the chat template trims whitespace around ${trimmed.join(", ")} content and Ollama's TEMPLATE cannot: prompts are identical only for content without leading or trailing whitespace`,
  ];
  return { template: goTemplateFor(format), family, format, caveats };
}
