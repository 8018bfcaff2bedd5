import type { Model } from "../model/index.js";
import { generate } from "../model/index.js";
import type { LoraTokenizer } from "../tokenizer/index.js";
import type { AnswerKey, OrderRecord } from "./dataset.js";
import { toChat } from "./dataset.js";

/**
 * Greedy answers of a model (with or without its adapter) to the records' prompts. The prompt is the chat
 * rendering up to the first trained token, exactly as training saw it.
 */
export function generateAnswers(
  model: Model,
  tokenizer: LoraTokenizer,
  records: readonly OrderRecord[],
  options: { maxNewTokens: number; keys: readonly AnswerKey[]; onRecord?: (done: number) => void },
): string[] {
  const eos = [...new Set([...model.eosTokenIds, ...tokenizer.endOfTurnTokenIds])];
  const stop = new Set(eos);
  return records.map((record, i) => {
    const { inputIds, labels } = tokenizer.tokenizeConversation(toChat(record, options.keys).messages);
    const first = labels.findIndex((l) => l !== -100);
    const prompt = Array.from(inputIds.slice(0, first));
    const result = generate(model, prompt, { maxNewTokens: options.maxNewTokens, eosTokenIds: eos });
    options.onRecord?.(i + 1);
    return tokenizer.decode(result.tokens.filter((id) => !stop.has(id)), { skipSpecialTokens: true }).trim();
  });
}
