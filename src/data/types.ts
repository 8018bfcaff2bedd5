import type { ChatMessage } from "../tokenizer/index.js";

/** Where a record came from: the file, and the 1-based line (JSONL, CSV) or row/element index (JSON, Parquet). */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One raw value as a reader yields it, before its format is known. */
export interface RawRow extends SourceLocation {
  value: unknown;
}

export type DataFormat = "messages" | "sharegpt" | "alpaca" | "prompt-completion" | "text";
export const DATA_FORMATS: readonly DataFormat[] = ["messages", "sharegpt", "alpaca", "prompt-completion", "text"];

/**
 * The one record type every input format becomes.
 * - chat: templated; assistant turns with weight ≠ 0 are trained (prompt/completion message lists become this,
 *   the prompt's assistant turns with weight 0).
 * - completion: string prompt + completion, concatenated without a template; the completion is trained.
 * - text: plain text, every token trained.
 */
export type TrainingRecord = { source: SourceLocation; format: DataFormat } & (
  | { kind: "chat"; messages: ChatMessage[]; tools?: unknown[] }
  | { kind: "completion"; prompt: string; completion: string }
  | { kind: "text"; text: string }
);

/** A problem with one record (or a whole file): where, which field, what is wrong and what is expected. */
export interface Problem extends SourceLocation {
  field?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}${p.field ? ` (${p.field})` : ""}: ${p.message}`;
}
