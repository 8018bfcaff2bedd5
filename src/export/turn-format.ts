import type { ChatMessage } from "../tokenizer/index.js";

/** Text written before and after a message's content. */
export interface Wrap {
  prefix: string;
  suffix: string;
}

/**
 * Where a template puts the system prompt: as a turn of its own (ChatML, Llama 3), or folded into the first user
 * turn (Llama 2, Mistral, Gemma), where it is honoured only as the conversation's first message.
 */
export type SystemPlacement =
  | {
      kind: "turn";
      wrap: Wrap;
      /** Written before the first message when it is not a system message: a default system turn (SmolLM2), or "". */
      whenAbsent: string;
    }
  | {
      kind: "fold";
      /** Around the system text, inside the first user turn, after `opening`. */
      wrap: Wrap;
      /** The prefix of the first user turn (it may differ from later ones: Llama 2's BOS is added by the runtime). */
      opening: string;
    };

/**
 * A chat layout in the terms an Ollama Go template can express: fixed text around each message's content, chosen
 * by role and position, and nothing that rewrites content. The Go TEMPLATE is written from it, and renderTurnFormat
 * is what that TEMPLATE renders, so a format can be checked against the Jinja template before it is shipped.
 */
export interface TurnFormat {
  /** Literal text that opens every prompt (the BOS string when the template writes it and the runtime does not). */
  start: string;
  system: SystemPlacement;
  user: Wrap;
  assistant: Wrap;
  /** Text after the last message: the header the model's answer starts from. */
  generation: string;
}

/** The prompt the format's Go TEMPLATE renders for `messages` (roles other than system/user/assistant add nothing). */
export function renderTurnFormat(format: TurnFormat, messages: readonly ChatMessage[]): string {
  const { system } = format;
  let out = format.start;
  let foldedSystem: string | undefined;
  let first = true;
  messages.forEach((message, index) => {
    const { role, content } = message;
    if (system.kind === "turn") {
      if (index === 0 && role !== "system") out += system.whenAbsent;
      if (role === "system") out += system.wrap.prefix + content + system.wrap.suffix;
    } else if (index === 0 && role === "system") {
      foldedSystem = content;
    }
    if (role === "user") {
      const opensFold = system.kind === "fold" && first;
      const prefix = opensFold ? system.opening : format.user.prefix;
      const folded = opensFold && foldedSystem !== undefined ? system.wrap.prefix + foldedSystem + system.wrap.suffix : "";
      out += prefix + folded + content + format.user.suffix;
    } else if (role === "assistant") {
      out += format.assistant.prefix + content + format.assistant.suffix;
    }
    if (role === "user" || role === "assistant") first = false;
  });
  return out + format.generation;
}
