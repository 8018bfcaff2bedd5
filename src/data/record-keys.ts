import type { TrainingRecord } from "./types.js";

/** Case- and whitespace-insensitive form used to compare records. */
function fold(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/** Every trainable string of a record, joined: what near-duplicate detection compares. */
export function recordText(record: TrainingRecord): string {
  if (record.kind === "chat") return record.messages.map((m) => m.content).join("\n");
  if (record.kind === "completion") return `${record.prompt}\n${record.completion}`;
  return record.text;
}

export interface RecordKeys {
  /** The whole normalized record: equal keys are exact duplicates. */
  exact: string;
  /** The normalized prompt and answer, when the record has a real prompt (see promptAndAnswer). */
  prompt?: { prompt: string; answer: string };
}

/** Both keys of a record, each message's content normalized once. */
export function recordKeys(record: TrainingRecord): RecordKeys {
  if (record.kind === "chat") {
    const folded = record.messages.map((m) => fold(m.content));
    const turns = record.messages.map((m, i) => `${m.role}\u0001${folded[i]}\u0001${JSON.stringify(m.tool_calls ?? null)}`);
    const exact = `chat\u0000${turns.join("\u0002")}\u0000${JSON.stringify(record.tools ?? null)}`;
    return { exact, prompt: conversationPrompt(record.messages, folded) };
  }
  if (record.kind === "completion") {
    const [prompt, answer] = [fold(record.prompt), fold(record.completion)];
    return { exact: `completion\u0000${prompt}\u0000${answer}`, prompt: prompt === "" ? undefined : { prompt, answer } };
  }
  return { exact: `text\u0000${fold(record.text)}` };
}

/**
 * A conversation's prompt and answer (everything before the last assistant turn, and that turn; `folded` holds
 * each message's normalized content), or undefined when there is no real prompt to share: a conversation that starts with
 * the assistant (a chunk of a longer chat) or holds only a system prompt before its answer asks nothing, so two of
 * them are not a conflict.
 */
function conversationPrompt(messages: Extract<TrainingRecord, { kind: "chat" }>["messages"], folded: readonly string[]): RecordKeys["prompt"] {
  const last = messages.map((m) => m.role).lastIndexOf("assistant");
  if (last < 0 || !messages.slice(0, last).some((m) => m.role === "user" && m.content.trim() !== "")) return undefined;
  const prompt = messages.slice(0, last).map((m, i) => `${m.role}\u0001${folded[i]}`).join("\u0002");
  return { prompt, answer: folded[last] };
}
