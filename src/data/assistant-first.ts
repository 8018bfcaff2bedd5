import type { SourceLocation, TrainingRecord } from "./types.js";

/**
 * What to do with a conversation whose first turn (after the system prompt) is a trained assistant turn — a chunk
 * of a longer chat: its first answer would train with no question. keep: train it anyway; drop: leave the record
 * out; later-turns: keep that turn as untrained context and train the assistant turns after it.
 */
export type AssistantFirstPolicy = "keep" | "drop" | "later-turns";
export const ASSISTANT_FIRST_POLICIES: readonly AssistantFirstPolicy[] = ["keep", "drop", "later-turns"];
export const DEFAULT_ASSISTANT_FIRST: AssistantFirstPolicy = "later-turns";

export interface AssistantFirstReport {
  policy: AssistantFirstPolicy;
  /** Every record that starts with a trained assistant turn. */
  records: SourceLocation[];
  /** Left out: by the drop policy, or by later-turns when no assistant turn follows. */
  dropped: number;
}

/** Index of the opening assistant turn when the conversation starts with a trained one, else -1. */
function openingAssistant(record: TrainingRecord): number {
  if (record.kind !== "chat") return -1;
  const first = record.messages.findIndex((m) => m.role !== "system");
  const m = record.messages[first];
  return m?.role === "assistant" && m.weight !== 0 ? first : -1;
}

/**
 * The policy applied to one record: the record to keep (changed under later-turns), or undefined when it is left
 * out; `report` (when given) lists a record that starts with the assistant and counts it when dropped.
 */
export function openingPolicy(record: TrainingRecord, policy: AssistantFirstPolicy, report?: AssistantFirstReport): TrainingRecord | undefined {
  const at = openingAssistant(record);
  if (at < 0 || record.kind !== "chat") return record;
  report?.records.push(record.source);
  if (policy === "keep") return record;
  if (policy === "later-turns" && record.messages.slice(at + 1).some((m) => m.role === "assistant" && m.weight !== 0)) {
    return { ...record, messages: record.messages.map((m, i) => (i === at ? { ...m, weight: 0 as const } : m)) };
  }
  if (report) report.dropped++;
  return undefined;
}

/** Applies the policy to every record; records that do not start with the assistant pass unchanged. */
export function applyAssistantFirst(
  records: readonly TrainingRecord[],
  policy: AssistantFirstPolicy,
): { kept: TrainingRecord[]; report: AssistantFirstReport } {
  const report: AssistantFirstReport = { policy, records: [], dropped: 0 };
  const kept = records.flatMap((record) => openingPolicy(record, policy, report) ?? []);
  return { kept, report };
}
