import type { ChatTemplate, RenderOptions } from "./chat-template.js";
import { TemplateError } from "./errors.js";
import type { ChatMessage } from "./types.js";

/** Where one trained assistant turn's content sits in the rendered conversation (character offsets). */
export interface ContentSpan {
  messageIndex: number;
  start: number;
  end: number;
  /** The turn carries tool calls: whatever the template prints up to the end-of-turn token is trained too. */
  hasToolCalls: boolean;
}

export interface RenderedConversation {
  text: string;
  spans: ContentSpan[];
  /** Where each message's content was found in the text (character offsets), in message order; undefined if not. */
  contents: Array<{ start: number; end: number } | undefined>;
  /** False when rendering a prefix of the conversation does not give a prefix of the full render. */
  prefixPreserving: boolean;
}

export type TrainOn = "all" | "last";

/** Indices of the assistant turns that are trained: weight ≠ 0, and with train_on "last" only the final one. */
export function trainedTurns(messages: readonly ChatMessage[], trainOn: TrainOn): number[] {
  const assistant = messages.flatMap((m, i) => (m.role === "assistant" ? [i] : []));
  const candidates = trainOn === "last" ? assistant.slice(-1) : assistant;
  return candidates.filter((i) => messages[i].weight !== 0);
}

/** First occurrence of the content at or after `from`, as printed verbatim or trimmed (templates often trim). */
function findContent(text: string, content: string, from: number): { start: number; end: number } | undefined {
  for (const candidate of [content, content.trim()]) {
    if (candidate.length === 0) continue;
    const start = text.indexOf(candidate, from);
    if (start >= 0) return { start, end: start + candidate.length };
  }
  return undefined;
}

/**
 * Renders the conversation once and finds the content of every trained assistant turn in that text, for ANY
 * template: the conversation up to turn i, rendered with the generation prompt, must be a prefix of the full
 * render, and the content is searched after it — so headers and scaffolding the template adds before the
 * content (Qwen3's empty `<think></think>`) stay untrained. Templates that rewrite earlier turns are not
 * prefix-preserving; for them the content is searched turn by turn after the previous turn's content.
 * Rendering every prefix costs turns × length (quadratic on long chats), so the generation header is first taken
 * from a short window (system prompt + the turn before, cached by shape) and used when the full text has it right
 * where the previous turn's content ends; only otherwise is the whole prefix rendered.
 */
export function renderWithAssistantSpans(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  trained: readonly number[],
  options: Omit<RenderOptions, "addGenerationPrompt"> = {},
): RenderedConversation {
  const text = template.render(messages, { ...options, addGenerationPrompt: false });
  const trainedSet = new Set(trained);
  const spans: ContentSpan[] = [];
  const contents: RenderedConversation["contents"] = [];
  let prefixPreserving = true;
  let cursor = 0;
  messages.forEach((message, i) => {
    if (!trainedSet.has(i)) {
      // Untrained turns only move the cursor forward, so a trained answer is never found inside an earlier turn.
      const found = findContent(text, message.content, cursor);
      contents.push(found);
      if (found) cursor = found.end;
      return;
    }
    const header = generationHeader(template, messages, i, options);
    if (header !== undefined && text.startsWith(header, cursor)) cursor += header.length;
    else {
      const prompt = renderPromptOrUndefined(template, messages.slice(0, i), options);
      if (prompt !== undefined && text.startsWith(prompt)) cursor = Math.max(cursor, prompt.length);
      else prefixPreserving = false;
    }
    const hasToolCalls = (message.tool_calls?.length ?? 0) > 0;
    const found = findContent(text, message.content, cursor);
    if (!found && !(hasToolCalls && message.content.trim() === "")) {
      throw new TemplateError(
        `assistant turn ${i + 1}: its content does not appear in the rendered text, so its tokens cannot be found`,
        { hint: "the chat template changes assistant content (e.g. splits out <think> reasoning); pass --chat-template to use another" },
      );
    }
    const span = found ?? { start: cursor, end: cursor };
    spans.push({ messageIndex: i, hasToolCalls, ...span });
    contents.push(found);
    cursor = span.end;
  });
  return { text, spans, contents, prefixPreserving };
}

/** Stands for turn i-1's content in the window, so one rendered header serves every turn of that shape. */
const PLACEHOLDER = "loraforge window placeholder";
const MAX_CACHED_HEADERS = 1024;
const headerCache = new WeakMap<ChatTemplate, Map<string, string | undefined>>();

/**
 * What the template prints between the end of turn i-1's content and turn i's answer (closing tags and the
 * generation prompt), rendered from the system prompt and turn i-1 alone with a placeholder for its content, and
 * cached per template for windows of the same shape; undefined when that window is the whole prefix anyway, or
 * the template refuses it. The caller uses it only where the full text has it.
 */
function generationHeader(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  i: number,
  options: Omit<RenderOptions, "addGenerationPrompt">,
): string | undefined {
  let lead = 0;
  while (lead < i && messages[lead].role === "system") lead++;
  if (i - 1 <= lead) return undefined;
  const window = [...messages.slice(0, lead), { ...messages[i - 1], content: PLACEHOLDER }];
  const key = JSON.stringify([window, options]);
  let cache = headerCache.get(template);
  if (!cache) headerCache.set(template, (cache = new Map()));
  if (cache.has(key)) return cache.get(key);
  const prompt = renderPromptOrUndefined(template, window, options);
  const at = prompt?.lastIndexOf(PLACEHOLDER) ?? -1;
  const header = prompt !== undefined && at >= 0 ? prompt.slice(at + PLACEHOLDER.length) : undefined;
  if (cache.size >= MAX_CACHED_HEADERS) cache.clear();
  cache.set(key, header);
  return header;
}

function renderPromptOrUndefined(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: Omit<RenderOptions, "addGenerationPrompt">,
): string | undefined {
  try {
    return template.render(messages, { ...options, addGenerationPrompt: true });
  } catch (err) {
    // Some templates refuse a conversation that does not end with an assistant turn; fall back to searching.
    if (err instanceof TemplateError) return undefined;
    throw err;
  }
}
