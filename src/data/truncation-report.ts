import { IGNORE_INDEX, type TokenizedExample } from "../tokenizer/index.js";
import type { TurnPiece } from "./split-turns.js";
import { cutWindow, TRUNCATION_POLICIES, type TruncationPolicy } from "./truncate.js";

/** What one policy did with every record, assistant turn and trained token (docs/data.md, "Truncation"). */
export interface PolicyOutcome {
  /** Input records: written whole, split into several (turns), written cut, or dropped; and records written. */
  records: { whole: number; split: number; cut: number; dropped: number; written: number };
  /** Trained assistant turns (runs of trained tokens): kept whole, cut, or dropped. */
  turns: { kept: number; cut: number; dropped: number };
  trainedTokens: { kept: number; dropped: number };
}

export interface TruncationReport {
  policy: TruncationPolicy;
  maxSeqLength?: number;
  /** Records longer than maxSeqLength. */
  overLength: number;
  /** Every policy's outcome on the same records, so the one chosen can be compared with the others. */
  policies: Record<TruncationPolicy, PolicyOutcome>;
}

export function emptyTruncationReport(policy: TruncationPolicy, maxSeqLength?: number): TruncationReport {
  const outcome = (): PolicyOutcome => ({
    records: { whole: 0, split: 0, cut: 0, dropped: 0, written: 0 },
    turns: { kept: 0, cut: 0, dropped: 0 },
    trainedTokens: { kept: 0, dropped: 0 },
  });
  return { policy, maxSeqLength, overLength: 0, policies: Object.fromEntries(TRUNCATION_POLICIES.map((p) => [p, outcome()])) as TruncationReport["policies"] };
}

/** [start, end) of each run of trained labels. */
function trainedRuns(labels: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === IGNORE_INDEX) continue;
    const start = i;
    while (i + 1 < labels.length && labels[i + 1] !== IGNORE_INDEX) i++;
    runs.push([start, i + 1]);
  }
  return runs;
}

/** Cuts an example to its window, counting turns kept, cut and dropped; undefined when no trained token is left. */
function cut(example: TokenizedExample, maxLength: number, policy: TruncationPolicy, outcome: PolicyOutcome): TokenizedExample | undefined {
  const [from, to] = cutWindow(example.inputIds.length, maxLength, policy);
  let kept = 0;
  for (const [s, e] of trainedRuns(example.labels)) {
    const inside = Math.max(0, Math.min(e, to) - Math.max(s, from));
    kept += inside;
    if (inside === e - s) outcome.turns.kept++;
    else if (inside > 0) outcome.turns.cut++;
    else outcome.turns.dropped++;
  }
  outcome.trainedTokens.kept += kept;
  return kept === 0 ? undefined : { inputIds: example.inputIds.slice(from, to), labels: example.labels.slice(from, to) };
}

function countTrained(labels: readonly number[]): number {
  return labels.reduce((n, l) => n + (l === IGNORE_INDEX ? 0 : 1), 0);
}

/**
 * The examples one tokenized record becomes under `policy`, and what every policy would make of it, added to the
 * report. `pieces` is the turn split of an over-long conversation (absent for other records: they are cut).
 */
export function applyTruncation(
  example: TokenizedExample,
  pieces: readonly TurnPiece[] | undefined,
  maxLength: number | undefined,
  report: TruncationReport,
): TokenizedExample[] {
  const trained = countTrained(example.labels);
  if (maxLength === undefined || example.inputIds.length <= maxLength) {
    const runs = trainedRuns(example.labels).length;
    for (const outcome of Object.values(report.policies)) {
      outcome.records.whole++;
      outcome.records.written++;
      outcome.turns.kept += runs;
      outcome.trainedTokens.kept += trained;
    }
    return [example];
  }
  report.overLength++;
  let chosen: TokenizedExample[] = [];
  for (const policy of TRUNCATION_POLICIES) {
    const outcome = report.policies[policy];
    const keptBefore = outcome.trainedTokens.kept;
    let written: TokenizedExample[] = [];
    let wasCut = false;
    if (policy === "drop") {
      outcome.turns.dropped += trainedRuns(example.labels).length;
    } else if (policy === "turns" && pieces) {
      const turnsBefore = outcome.turns.kept + outcome.turns.cut + outcome.turns.dropped;
      for (const piece of pieces) {
        const { overLength, ...tokens } = piece;
        const kept = cut(tokens, maxLength, "right", outcome);
        wasCut ||= overLength;
        if (kept) written.push(kept);
      }
      // Turns in no piece (the template refused them alone) are dropped.
      const seen = outcome.turns.kept + outcome.turns.cut + outcome.turns.dropped - turnsBefore;
      outcome.turns.dropped += Math.max(0, trainedRuns(example.labels).length - seen);
    } else {
      const kept = cut(example, maxLength, policy, outcome);
      wasCut = true;
      written = kept ? [kept] : [];
    }
    outcome.trainedTokens.dropped += Math.max(0, trained - (outcome.trainedTokens.kept - keptBefore));
    outcome.records.written += written.length;
    if (written.length === 0) outcome.records.dropped++;
    else if (wasCut) outcome.records.cut++;
    else outcome.records.split++;
    if (policy === report.policy) chosen = written;
  }
  return chosen;
}
