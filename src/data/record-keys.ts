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

/** The whole normalized record: equal keys are exact duplicates. */
export function exactKey(record: TrainingRecord): string {
  if (record.kind === "chat") {
    const turns = record.messages.map((m) => `${m.role}\u0001${fold(m.content)}\u0001${JSON.stringify(m.tool_calls ?? null)}`);
    return `chat\u0000${turns.join("\u0002")}\u0000${JSON.stringify(record.tools ?? null)}`;
  }
  if (record.kind === "completion") return `completion\u0000${fold(record.prompt)}\u0000${fold(record.completion)}`;
  return `text\u0000${fold(record.text)}`;
}

/**
 * The prompt and the answer of a record (everything before the last assistant turn, and that turn), or undefined
 * when there is no real prompt to share: a conversation that starts with the assistant (a chunk of a longer chat)
 * or holds only a system prompt before its answer asks nothing, so two of them are not a conflict.
 */
export function promptAndAnswer(record: TrainingRecord): { prompt: string; answer: string } | undefined {
  if (record.kind === "completion") {
    const prompt = fold(record.prompt);
    return prompt === "" ? undefined : { prompt, answer: fold(record.completion) };
  }
  if (record.kind !== "chat") return undefined;
  const last = record.messages.map((m) => m.role).lastIndexOf("assistant");
  if (last < 0 || !record.messages.slice(0, last).some((m) => m.role === "user" && m.content.trim() !== "")) return undefined;
  const prompt = record.messages.slice(0, last).map((m) => `${m.role}\u0001${fold(m.content)}`).join("\u0002");
  return { prompt, answer: fold(record.messages[last].content) };
}
