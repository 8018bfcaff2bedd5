import { ConfigError } from "../util/errors.js";
import type { ChatMessage } from "../tokenizer/index.js";
import { MARK, MARKER_PROBES } from "./template-probes.js";
import type { SystemPlacement, TurnFormat } from "./turn-format.js";

/** Renders a conversation as the prompt Ollama must reproduce (the Jinja text, minus a BOS the runtime adds). */
export type ProbeRenderer = (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string;

/** `text` split around each marker in turn: the pieces before, between and after them. */
function splitAt(text: string, markers: string[], probe: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  for (const marker of markers) {
    const at = rest.indexOf(marker);
    if (at < 0) throw new ConfigError(`message content is not written verbatim (probe "${probe}": "${marker}" is missing from ${JSON.stringify(text)})`);
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at + marker.length);
  }
  return [...pieces, rest];
}

function withoutPrefix(text: string, prefix: string, what: string): string {
  if (!text.startsWith(prefix)) {
    throw new ConfigError(`the ${what} is not fixed text around each message (${JSON.stringify(text)} does not start with ${JSON.stringify(prefix)})`);
  }
  return text.slice(prefix.length);
}

/**
 * Reads the fixed text a template writes around each message from marker conversations (docs/formats/ollama.md,
 * "How a template is converted"). The result is only a candidate: the caller checks it against the template.
 */
export function extractTurnFormat(render: ProbeRenderer, start: string): TurnFormat {
  const { user1, assistant1, user2, system } = MARK;
  const [head, userSuffix] = splitAt(render(MARKER_PROBES.user, false), [user1], "user");
  const generation = withoutPrefix(render(MARKER_PROBES.user, true), head + user1 + userSuffix, "generation prompt");
  const [, userThenAssistant, assistantSuffix] = splitAt(render(MARKER_PROBES.userAssistant, false), [user1, assistant1], "user, assistant");
  const assistantPrefix = withoutPrefix(userThenAssistant, userSuffix, "assistant header");
  const [, , assistantThenUser] = splitAt(render(MARKER_PROBES.userAssistantUser, false), [user1, assistant1, user2], "user, assistant, user");
  const userPrefix = withoutPrefix(assistantThenUser, assistantSuffix, "user header");
  const [beforeSystem, systemThenUser] = splitAt(render(MARKER_PROBES.systemUser, false), [system, user1], "system, user");
  return {
    start,
    system: systemPlacement(head, userPrefix, beforeSystem, systemThenUser),
    user: { prefix: userPrefix, suffix: userSuffix },
    assistant: { prefix: assistantPrefix, suffix: assistantSuffix },
    generation,
  };
}

/** A system turn of its own when the text after it ends with the user header; otherwise folded into the first user turn. */
function systemPlacement(head: string, userPrefix: string, beforeSystem: string, systemThenUser: string): SystemPlacement {
  if (head.endsWith(userPrefix) && systemThenUser.endsWith(userPrefix)) {
    return {
      kind: "turn",
      wrap: { prefix: beforeSystem, suffix: systemThenUser.slice(0, systemThenUser.length - userPrefix.length) },
      whenAbsent: head.slice(0, head.length - userPrefix.length),
    };
  }
  return {
    kind: "fold",
    wrap: { prefix: withoutPrefix(beforeSystem, head, "system prompt placement"), suffix: systemThenUser },
    opening: head,
  };
}
