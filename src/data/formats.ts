import type { ChatMessage } from "../tokenizer/index.js";
import { canonicalRole, cleanText, countAlias, KNOWN_ROLES, type CleanOptions, type RoleAliasCounts } from "./clean.js";
import type { DataFormat, Problem, RawRow, TrainingRecord } from "./types.js";

/** The keys that identify each format, in detection order. */
const FORMAT_KEYS: Array<[DataFormat, string[]]> = [
  ["messages", ["messages"]],
  ["sharegpt", ["conversations"]],
  ["alpaca", ["instruction", "output"]],
  ["prompt-completion", ["prompt", "completion"]],
  ["text", ["text"]],
];

export const FORMAT_EXPECTATIONS =
  '"messages" (chat), "conversations" (ShareGPT), "instruction"+"output" (Alpaca), "prompt"+"completion", or "text"';

/** The format a row's keys announce, or undefined when none matches. */
export function detectFormat(value: unknown): DataFormat | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  return FORMAT_KEYS.find(([, keys]) => keys.every((k) => k in value))?.[0];
}

type Conversion = { record: TrainingRecord } | { problems: Problem[] };

/** Collects the problems of one row while converting it. */
class RowProblems {
  readonly list: Problem[] = [];
  constructor(private readonly row: RawRow) {}
  add(field: string | undefined, message: string): void {
    this.list.push({ file: this.row.file, line: this.row.line, field, message });
  }
}

function messagesFrom(
  list: unknown,
  field: string,
  keys: { role: string; content: string },
  problems: RowProblems,
  clean: CleanOptions,
  aliases: RoleAliasCounts,
): ChatMessage[] {
  if (!Array.isArray(list)) {
    problems.add(field, `expected a list of messages, got ${describe(list)}`);
    return [];
  }
  if (list.length === 0) problems.add(field, "the conversation is empty");
  const messages: ChatMessage[] = [];
  list.forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      problems.add(at, `expected an object with "${keys.role}" and "${keys.content}", got ${describe(item)}`);
      return;
    }
    const m = item as Record<string, unknown>;
    const rawRole = m[keys.role];
    const role = typeof rawRole === "string" ? canonicalRole(rawRole) : undefined;
    if (typeof rawRole !== "string") problems.add(`${at}.${keys.role}`, `expected a role string, got ${describe(rawRole)}`);
    else if (!role) problems.add(`${at}.${keys.role}`, `unknown role "${rawRole}" (expected ${KNOWN_ROLES.join(", ")} or an alias)`);
    else countAlias(aliases, rawRole, role);
    const toolCalls = Array.isArray(m.tool_calls) && m.tool_calls.length > 0 ? (m.tool_calls as unknown[]) : undefined;
    const rawContent = m[keys.content] ?? (toolCalls ? "" : undefined);
    if (typeof rawContent !== "string") {
      problems.add(`${at}.${keys.content}`, `expected a string, got ${describe(rawContent)}`);
      return;
    }
    const content = cleanText(rawContent, clean);
    if (content === "" && !toolCalls && role !== "tool") problems.add(`${at}.${keys.content}`, "empty content");
    const message: ChatMessage = { role: role ?? String(rawRole), content };
    if (toolCalls) message.tool_calls = toolCalls;
    for (const extra of ["name", "tool_call_id"] as const) if (typeof m[extra] === "string") message[extra] = m[extra] as string;
    if ("weight" in m) {
      if (m.weight !== 0 && m.weight !== 1) problems.add(`${at}.weight`, `expected 0 or 1, got ${describe(m.weight)}`);
      else if (role !== "assistant") problems.add(`${at}.weight`, "weight is only meaningful on assistant messages");
      else message.weight = m.weight;
    }
    messages.push(message);
  });
  return messages;
}

function requireAssistant(messages: ChatMessage[], field: string, problems: RowProblems): void {
  if (messages.length > 0 && !messages.some((m) => m.role === "assistant")) {
    problems.add(field, "no assistant turn (nothing to train on)");
  }
}

function stringField(value: Record<string, unknown>, key: string, problems: RowProblems, clean: CleanOptions, optional = false): string {
  const raw = value[key];
  if (raw === undefined || raw === null) {
    if (!optional) problems.add(key, "missing");
    return "";
  }
  if (typeof raw !== "string") {
    problems.add(key, `expected a string, got ${describe(raw)}`);
    return "";
  }
  const text = cleanText(raw, clean);
  if (!optional && text === "") problems.add(key, "empty");
  return text;
}

/**
 * One raw row as a TrainingRecord of the given format, or the list of what is wrong with it. Role aliases it maps
 * are counted into `aliases`.
 */
export function toRecord(row: RawRow, format: DataFormat, clean: CleanOptions = {}, aliases: RoleAliasCounts = {}): Conversion {
  const problems = new RowProblems(row);
  if (row.value === null || typeof row.value !== "object" || Array.isArray(row.value)) {
    problems.add(undefined, `expected a JSON object (a ${format} record), got ${describe(row.value)}`);
    return { problems: problems.list };
  }
  const value = row.value as Record<string, unknown>;
  const source = { file: row.file, line: row.line };
  let record: TrainingRecord | undefined;
  const missing = FORMAT_KEYS.find(([f]) => f === format)![1].filter((k) => !(k in value));
  if (missing.length > 0) {
    problems.add(missing.join(", "), `missing for the ${format} format (the file's format; rows must share it)`);
    return { problems: problems.list };
  }
  if (format === "messages" || format === "sharegpt") {
    const field = format === "messages" ? "messages" : "conversations";
    const keys = format === "messages" ? { role: "role", content: "content" } : { role: "from", content: "value" };
    const messages = messagesFrom(value[field], field, keys, problems, clean, aliases);
    requireAssistant(messages, field, problems);
    const tools = Array.isArray(value.tools) ? (value.tools as unknown[]) : undefined;
    record = { source, format, kind: "chat", messages, ...(tools ? { tools } : {}) };
  } else if (format === "alpaca") {
    const instruction = stringField(value, "instruction", problems, clean);
    const input = stringField(value, "input", problems, clean, true);
    const output = stringField(value, "output", problems, clean);
    const system = stringField(value, "system", problems, clean, true);
    const messages: ChatMessage[] = [
      ...(system ? [{ role: "system", content: system }] : []),
      { role: "user", content: input ? `${instruction}\n\n${input}` : instruction },
      { role: "assistant", content: output },
    ];
    record = { source, format, kind: "chat", messages };
  } else if (format === "prompt-completion") {
    if (typeof value.prompt === "string" && typeof value.completion === "string") {
      // Plain strings are concatenated as they are (TRL): cleaning would change the boundary between them.
      if (value.completion.trim() === "") problems.add("completion", "empty");
      record = { source, format, kind: "completion", prompt: value.prompt.normalize("NFC"), completion: value.completion.normalize("NFC") };
    } else if (Array.isArray(value.prompt) && Array.isArray(value.completion)) {
      const prompt = messagesFrom(value.prompt, "prompt", { role: "role", content: "content" }, problems, clean, aliases);
      const completion = messagesFrom(value.completion, "completion", { role: "role", content: "content" }, problems, clean, aliases);
      requireAssistant(completion, "completion", problems);
      const untrainedPrompt = prompt.map((m) => (m.role === "assistant" ? { ...m, weight: 0 as const } : m));
      record = { source, format, kind: "chat", messages: [...untrainedPrompt, ...completion] };
    } else {
      problems.add("prompt, completion", `expected two strings or two message lists, got ${describe(value.prompt)} and ${describe(value.completion)}`);
    }
  } else {
    const text = stringField(value, "text", problems, clean);
    record = { source, format, kind: "text", text };
  }
  return problems.list.length > 0 || !record ? { problems: problems.list } : { record };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}
