import { TemplateError, type LoraTokenizer, type TrainOn } from "../tokenizer/index.js";
import type { TrainingRecord } from "./types.js";

export type TokenizeResult =
  | { ok: true; inputIds: number[]; labels: number[]; turnsWithoutEndOfTurn: number }
  | { ok: false; message: string };

/** One record's tokens and labels: assistant-only for chat, completion-only for completion, all for text. */
export function tokenizeRecord(tok: LoraTokenizer, record: TrainingRecord, trainOn: TrainOn): TokenizeResult {
  try {
    if (record.kind === "chat") {
      const r = tok.tokenizeConversation(record.messages, { trainOn, tools: record.tools });
      return { ok: true, inputIds: r.inputIds, labels: r.labels, turnsWithoutEndOfTurn: r.turnsWithoutEndOfTurn };
    }
    const r = record.kind === "completion" ? tok.tokenizePromptCompletion(record.prompt, record.completion) : tok.tokenizeText(record.text);
    return { ok: true, ...r, turnsWithoutEndOfTurn: 0 };
  } catch (err) {
    // A template that refuses the record, or a mask that cannot be built, is that record's problem.
    if (err instanceof TemplateError) return { ok: false, message: err.message };
    throw err;
  }
}
