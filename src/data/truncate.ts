import { IGNORE_INDEX } from "../tokenizer/index.js";

/**
 * What to do with a record longer than max_seq_length: split a conversation at turn boundaries into several
 * records (turns, see split-turns.ts; anything else, and a turn too long alone, is cut as by right), drop it, or
 * keep its first (right) / last (left) tokens.
 */
export type TruncationPolicy = "turns" | "drop" | "left" | "right";
export const TRUNCATION_POLICIES: readonly TruncationPolicy[] = ["turns", "drop", "left", "right"];
/** The policy that loses least: every assistant turn that fits its own context is kept. */
export const DEFAULT_TRUNCATION: TruncationPolicy = "turns";

/** The [from, to) token window a cut keeps: the first (right, turns) or last (left) maxLength tokens. */
export function cutWindow(length: number, maxLength: number, policy: TruncationPolicy): [number, number] {
  return policy === "left" ? [Math.max(0, length - maxLength), length] : [0, Math.min(length, maxLength)];
}

export interface TruncationCounts {
  /** Records over the limit. */
  overLength: number;
  /** Dropped: by the drop policy, or because cutting left no trained token. */
  dropped: number;
  /** Cut records that lost trained tokens. */
  lostTrainedTokens: number;
  /** Cut records that lost an end-of-turn token among their trained tokens (allowed, counted). */
  lostEndOfTurn: number;
}

export function emptyTruncationCounts(): TruncationCounts {
  return { overLength: 0, dropped: 0, lostTrainedTokens: 0, lostEndOfTurn: 0 };
}

/** Applies the policy to one example; returns undefined when it is dropped. Updates the counts. */
export function truncate(
  example: { inputIds: number[]; labels: number[] },
  maxLength: number,
  policy: TruncationPolicy,
  endOfTurn: ReadonlySet<number>,
  counts: TruncationCounts,
): { inputIds: number[]; labels: number[] } | undefined {
  const { inputIds, labels } = example;
  if (inputIds.length <= maxLength) return example;
  counts.overLength++;
  if (policy === "drop") {
    counts.dropped++;
    return undefined;
  }
  const [from, to] = cutWindow(inputIds.length, maxLength, policy);
  const lost = [...labels.slice(0, from), ...labels.slice(to)].filter((l) => l !== IGNORE_INDEX);
  if (lost.length > 0) counts.lostTrainedTokens++;
  if (lost.some((id) => endOfTurn.has(id))) counts.lostEndOfTurn++;
  const kept = { inputIds: inputIds.slice(from, to), labels: labels.slice(from, to) };
  if (!kept.labels.some((l) => l !== IGNORE_INDEX)) {
    counts.dropped++;
    return undefined;
  }
  return kept;
}
