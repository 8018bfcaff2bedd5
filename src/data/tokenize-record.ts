import { TemplateError, trainedTurns, type LoraTokenizer, type TokenizedConversation, type TrainOn } from "../tokenizer/index.js";
import { splitByTurns, type TurnPiece } from "./split-turns.js";
import type { TrainingRecord } from "./types.js";

export type TokenizeResult =
  | { ok: true; inputIds: number[]; labels: number[]; turnsWithoutEndOfTurn: number; pieces?: TurnPiece[] }
  | { ok: false; message: string };

/**
 * One record's tokens and labels: assistant-only for chat, completion-only for completion, all for text. A
 * conversation longer than `maxSeqLength` also comes with its split at turn boundaries (the `turns` policy).
 */
export function tokenizeRecord(tok: LoraTokenizer, record: TrainingRecord, trainOn: TrainOn, maxSeqLength?: number): TokenizeResult {
  try {
    if (record.kind === "chat") {
      const r = tok.tokenizeConversation(record.messages, { trainOn, tools: record.tools });
      const result = { ok: true as const, inputIds: r.inputIds, labels: r.labels, turnsWithoutEndOfTurn: r.turnsWithoutEndOfTurn };
      if (maxSeqLength === undefined || r.inputIds.length <= maxSeqLength) return result;
      return { ...result, pieces: turnPieces(tok, record, trainOn, maxSeqLength, r) };
    }
    const r = record.kind === "completion" ? tok.tokenizePromptCompletion(record.prompt, record.completion) : tok.tokenizeText(record.text);
    return { ok: true, ...r, turnsWithoutEndOfTurn: 0 };
  } catch (err) {
    // A template that refuses the record, or a mask that cannot be built, is that record's problem.
    if (err instanceof TemplateError) return { ok: false, message: err.message };
    throw err;
  }
}

/**
 * Per-message estimates: the content's tokens in the whole conversation's tokens (its own encoding where the
 * template changed it), plus an equal share of what the template adds around them.
 */
function turnPieces(tok: LoraTokenizer, record: Extract<TrainingRecord, { kind: "chat" }>, trainOn: TrainOn, maxSeqLength: number, whole: TokenizedConversation): TurnPiece[] {
  const content = record.messages.map((m, i) => whole.contentTokens[i] ?? tok.encode(m.content, { addSpecialTokens: false }).length);
  const overhead = Math.max(0, whole.inputIds.length - content.reduce((s, n) => s + n, 0)) / record.messages.length;
  const tokenize = (messages: typeof record.messages) => tok.tokenizeConversation(messages, { trainOn: "all", tools: record.tools });
  return splitByTurns(record.messages, trainedTurns(record.messages, trainOn), maxSeqLength, (i) => content[i] + overhead, tokenize);
}
