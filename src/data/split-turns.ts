import { TemplateError, type ChatMessage, type TokenizedExample } from "../tokenizer/index.js";

/**
 * The `turns` truncation policy: a conversation longer than max_seq_length becomes several records, split at turn
 * boundaries. Each record starts a new run of trained turns, takes as many following turns as fit, then as much
 * preceding context as fits (those earlier answers untrained, as they are trained in the record before); the
 * leading system prompt is kept in every record. A turn (its question and answer) that does not fit even alone is
 * returned over-long, for the caller's fallback cut; one the template refuses even alone is left out. Token counts are first estimated per message, then every
 * record is tokenized for real and shrunk (context first) until it fits. See docs/data.md.
 */
export interface TurnPiece extends TokenizedExample {
  /** Over max_seq_length: one turn that does not fit alone. */
  overLength: boolean;
}

/** One question-answer group: the messages after the previous assistant turn up to and including this one. */
interface Group {
  from: number;
  to: number;
  trained: boolean;
  cost: number;
}

export function splitByTurns(
  messages: readonly ChatMessage[],
  trained: readonly number[],
  maxLength: number,
  estimate: (i: number) => number,
  tokenize: (messages: ChatMessage[]) => TokenizedExample,
): TurnPiece[] {
  const system = messages.findIndex((m) => m.role !== "system");
  if (system < 0) return [];
  const systemCost = messages.slice(0, system).reduce((s, _, i) => s + estimate(i), 0);
  const trainedSet = new Set(trained);
  const groups: Group[] = [];
  let from = system;
  let cost = 0;
  for (let i = system; i < messages.length; i++) {
    cost += estimate(i);
    if (messages[i].role !== "assistant") continue;
    groups.push({ from, to: i, trained: trainedSet.has(i), cost });
    [from, cost] = [i + 1, 0];
  }
  const build = (first: number, start: number, end: number): ChatMessage[] => {
    const out = messages.slice(0, system).map((m) => ({ ...m }));
    for (let g = first; g <= end; g++) {
      for (let i = groups[g].from; i <= groups[g].to; i++) {
        const untrained = messages[i].role === "assistant" && (g < start || !groups[g].trained);
        out.push(untrained ? { ...messages[i], weight: 0 } : { ...messages[i] });
      }
    }
    return out;
  };
  const pieces: TurnPiece[] = [];
  for (let start = 0; start < groups.length; ) {
    if (!groups[start].trained) {
      start++;
      continue;
    }
    let end = start;
    let total = systemCost + groups[start].cost;
    while (end + 1 < groups.length && total + groups[end + 1].cost <= maxLength) total += groups[++end].cost;
    let first = start;
    while (first > 0 && total + groups[first - 1].cost <= maxLength) total += groups[--first].cost;
    for (;;) {
      const example = tokenizeOrUndefined(build(first, start, end), tokenize);
      const fits = example !== undefined && example.inputIds.length <= maxLength;
      const alone = first === start && end === start;
      // A turn the template refuses even alone is left out (the report counts it dropped).
      if (example && (fits || alone)) pieces.push({ ...example, overLength: !fits });
      if (fits || alone) break;
      if (first < start) first++;
      else end--;
    }
    start = end + 1;
  }
  return pieces;
}

/** A piece the template refuses (e.g. one that must start with a user turn) is shrunk like one that is too long. */
function tokenizeOrUndefined(messages: ChatMessage[], tokenize: (m: ChatMessage[]) => TokenizedExample): TokenizedExample | undefined {
  try {
    return tokenize(messages);
  } catch (err) {
    if (err instanceof TemplateError) return undefined;
    throw err;
  }
}
